package main

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/websocket"
)

// ---------- 헤드리스 Chromium 도우미 (DevTools 프로토콜) ----------

// browserPage 는 헤드리스 Chromium 의 탭 하나이다. 명령은 테스트의 고루틴에서만 보낸다.
type browserPage struct {
	ws     *websocket.Conn
	lastID int
	errs   []string // 페이지의 잡히지 않은 예외와 console.error: call 이 답을 기다리며 모은다
}

// browserMsg 는 DevTools 의 답(ID, Result, Error)이나 이벤트(Method, Params)이다.
type browserMsg struct {
	ID     int
	Result json.RawMessage
	Error  *struct{ Message string }
	Method string
	Params struct { // Runtime.exceptionThrown 과 Runtime.consoleAPICalled 에서 쓰는 것만
		ExceptionDetails browserException
		Type             string
		Args             []struct {
			Value       any
			Description string
		}
	}
}

// browserException 은 DevTools 가 알려 주는 예외이다 (Runtime.ExceptionDetails).
type browserException struct {
	Text      string
	Exception struct{ Description string }
}

func (e browserException) String() string { return cmp.Or(e.Exception.Description, e.Text) }

// browserRequire 는 chromium 의 경로를 돌려준다. 없으면 건너뛰고, BROWSER=1 이면(CI) 실패한다.
func browserRequire(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil && os.Getenv("BROWSER") == "1" {
		t.Fatalf("BROWSER=1 but %v (apt-get install -y chromium)", err)
	} else if err != nil {
		t.Skipf("skipping the browser test: %v (apt-get install -y chromium; BROWSER=1 makes this a failure)", err)
	}
	return path
}

// browserOpen 은 헤드리스 Chromium 을 띄워 탭 하나를 url 로 보낸다. 테스트가 끝나면 브라우저를 끝낸다 (프로필은 t.TempDir).
func browserOpen(t *testing.T, chromium, url string) *browserPage {
	t.Helper()
	dir := t.TempDir()                // 이 정리는 아래의 정리보다 나중에 돈다: 브라우저가 끝난 뒤에 지운다
	const origin = "http://127.0.0.1" // x/net/websocket 이 늘 보내는 Origin: DevTools 가 받도록 허락한다
	cmd := exec.Command(chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--window-size=1280,900",
		"--remote-debugging-port=0", "--remote-allow-origins="+origin, "--user-data-dir="+dir, "about:blank")
	logs := &testNode{t: t, name: "chromium"} // 브라우저의 출력: 실패 메시지에 붙인다
	cmd.Stdout, cmd.Stderr, cmd.WaitDelay = logs, logs, 2*time.Second
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() { // DevTools 의 Browser.close 가 자식 프로세스까지 닫는다. 안 되면 5초 뒤에 죽인다
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	})
	// DevToolsActivePort 의 첫 줄이 DevTools 의 포트이다. 그 포트의 /json/list 에서 탭을 찾는다.
	var wsURL string
	waitFor(t, "chromium to open DevTools", func() bool {
		first, _ := os.ReadFile(filepath.Join(dir, "DevToolsActivePort"))
		var targets []struct{ Type, WebSocketDebuggerURL string }
		if port, _, ok := strings.Cut(string(first), "\n"); ok {
			json.Unmarshal([]byte(request(t, "GET", "http://127.0.0.1:"+port+"/json/list", "", nil).body), &targets)
		}
		for _, tg := range targets {
			if tg.Type == "page" {
				wsURL = tg.WebSocketDebuggerURL
			}
		}
		return wsURL != "" || len(exited) > 0 // 브라우저가 먼저 끝나면 아래 Dial 이 그 출력과 함께 실패한다
	})
	ws, err := websocket.Dial(wsURL, "", origin)
	if err != nil {
		t.Fatalf("connect to DevTools at %q: %v\n%s", wsURL, err, logs.logText())
	}
	p := &browserPage{ws: ws}
	t.Cleanup(func() { p.call("Browser.close", nil); ws.Close() })
	if _, err := p.call("Runtime.enable", nil); err != nil {
		t.Fatal(err)
	} else if _, err := p.call("Page.navigate", map[string]any{"url": url}); err != nil {
		t.Fatal(err)
	}
	p.waitUntil(t, url+" to load", fmt.Sprintf(`(location.href === %s && document.readyState === "complete") || location.href`, stringify(url)))
	return p
}

// call 은 DevTools 명령 하나를 보내고 그 result 를 기다린다 (10초까지). 그 사이에 온 이벤트에서 페이지의 에러를 모은다.
func (p *browserPage) call(method string, params map[string]any) (json.RawMessage, error) {
	p.lastID++
	p.ws.SetDeadline(time.Now().Add(10 * time.Second))
	if err := websocket.JSON.Send(p.ws, map[string]any{"id": p.lastID, "method": method, "params": params}); err != nil {
		return nil, fmt.Errorf("%s: %w", method, err)
	}
	for {
		var data []byte
		var m browserMsg
		if err := websocket.Message.Receive(p.ws, &data); err != nil {
			return nil, fmt.Errorf("%s: %w", method, err)
		}
		json.Unmarshal(data, &m) // 모양이 다른 이벤트는 맞는 필드만 채워진다
		switch ev := m.Params; {
		case m.ID == p.lastID && m.Error != nil:
			return nil, fmt.Errorf("%s: %s", method, m.Error.Message)
		case m.ID == p.lastID:
			return m.Result, nil
		case m.Method == "Runtime.exceptionThrown":
			p.errs = append(p.errs, "uncaught "+ev.ExceptionDetails.String())
		case m.Method == "Runtime.consoleAPICalled" && (ev.Type == "error" || ev.Type == "assert"):
			msg := "console." + ev.Type
			for _, a := range ev.Args {
				msg += " " + cmp.Or(a.Description, fmt.Sprint(a.Value))
			}
			p.errs = append(p.errs, msg)
		}
	}
}

// eval 은 페이지에서 식 js 를 계산해(프라미스는 기다린다) 그 값을 v 에 푼다 (v 가 nil 이면 버린다). 던진 예외는 에러이다.
func (p *browserPage) eval(js string, v any) error {
	res, err := p.call("Runtime.evaluate", map[string]any{"expression": js, "returnByValue": true, "awaitPromise": true})
	var r struct {
		Result           struct{ Value json.RawMessage }
		ExceptionDetails *browserException
	}
	if err = cmp.Or(err, json.Unmarshal(res, &r)); err != nil {
		return err
	} else if r.ExceptionDetails != nil {
		return errors.New(r.ExceptionDetails.String())
	} else if v == nil || r.Result.Value == nil { // 값을 버리거나 undefined 이다
		return nil
	}
	return json.Unmarshal(r.Result.Value, v)
}

// waitUntil 은 js 가 true 가 될 때까지 기다린다. 15초 안에 안 되면 js 의 마지막 값(참이 아닐 때 돌려준 상태)으로 멈춘다.
func (p *browserPage) waitUntil(t *testing.T, what, js string) {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		var last any
		err := p.eval(js, &last)
		if err == nil && last == true {
			return
		} else if time.Now().After(deadline) {
			t.Fatalf("%s: got %s (error %v), want true\npage errors: %q", what, stringify(last), err, p.errs)
		}
	}
}

// ---------- 테스트 ----------

// browserCard 는 페이지에 그려진 블록 카드 하나이다.
type browserCard struct {
	Index, Hash, Prev string
	Broken            bool
}

const browserCardsJS = `[...document.querySelectorAll("#chain .card")].map((c) => ({ index: c.dataset.index,
	hash: c.querySelector(".hash").textContent, prev: c.querySelector(".prev").textContent, broken: c.classList.contains("broken") }))`

// TestNodePageInBrowser 는 B 의 페이지를 진짜 브라우저로 열고, A 가 채굴한 블록이 카드와 실시간 메시지로 나타나는지,
// 페이지의 폼으로 채굴한 블록이 A 에 닿는지 본다.
func TestNodePageInBrowser(t *testing.T) {
	chromium := browserRequire(t)
	a := startNode(t, "A")
	b := startNode(t, "B", a.p2p)
	waitFor(t, "A and B to list each other", func() bool { return len(a.peers()) == 1 && len(b.peers()) == 1 })
	peerA := strings.TrimPrefix(a.p2p, "ws://") // B 가 연결한 A 의 주소
	p := browserOpen(t, chromium, b.http+"/")   // 정리는 거꾸로 돈다: 브라우저가 닫힌 뒤에 노드들이 멈춘다

	// 제네시스 카드, 피어 A, 열린 이벤트 스트림을 기다린다 (스트림이 열린 뒤에 채굴해야 메시지를 놓치지 않는다).
	genesis := calculateHashForBlock(getGenesisBlock()).String()
	p.waitUntil(t, "B's page to show the genesis card, peer A and an open stream", fmt.Sprintf(`(() => {
		const s = { cards: %s.map((c) => c.index + " " + c.hash), peers: [...document.querySelectorAll("#peers li")].map((li) => li.textContent),
			status: document.querySelector("#status").className };
		return (s.cards.join() === %s && s.peers.join() === %s && s.status === "ok") || s })()`,
		browserCardsJS, stringify("0 "+genesis), stringify(peerA)))

	// A 가 채굴한 블록이 B 의 페이지에 두 번째 카드로 나타난다.
	mined := a.mine("브라우저에서 보기")
	want := calculateHashForBlock(mined).String()
	p.waitUntil(t, "B's page to show 2 cards", `document.querySelectorAll("#chain .card").length === 2 || document.querySelector("#chain-info").textContent`)
	var cards []browserCard
	if err := p.eval(browserCardsJS, &cards); err != nil || len(cards) != 2 {
		t.Fatalf("cards: got %+v (error %v), want 2", cards, err)
	}
	if cards[1].Index != "1" || cards[1].Hash != want {
		t.Errorf("card 1: got index %s hash %s, want index 1 and A's block hash %s", cards[1].Index, cards[1].Hash, want)
	}
	if cards[1].Prev != cards[0].Hash || cards[0].Hash != genesis {
		t.Errorf("card 1 .prev: got %s, want card 0 .hash %s (the genesis hash %s)", cards[1].Prev, cards[0].Hash, genesis)
	}
	if cards[0].Broken || cards[1].Broken {
		t.Errorf("broken cards: got %+v, want none broken", cards)
	}
	feedJS := `[...document.querySelectorAll("#feed li")].map((li) => [...li.children].slice(1).map((s) => s.textContent.trim()).join(" "))`
	p.waitUntil(t, "B's feed to show the block received from A", fmt.Sprintf(`%s.includes(%s) || %[1]s`,
		feedJS, stringify("← "+peerA+" RESPONSE_BLOCKCHAIN 1 block [1]")))

	// B 의 페이지의 폼으로 채굴한다: 같은 출처의 POST 는 다른 출처를 막는 검사를 지나고, 블록은 A 에 닿는다.
	if err := p.eval(`document.querySelector("#mine-form input").value = "페이지의 폼에서"; document.querySelector("#mine-form button").click()`, nil); err != nil {
		t.Fatalf("submit the mine form: got %v, want nil", err)
	}
	p.waitUntil(t, "the mine form's result", `(() => { const r = document.querySelector("#mine-result"); return (r.className === "result" && r.textContent.startsWith("블록 #2 ")) || r.className + ": " + r.textContent })()`)
	waitFor(t, "A to receive the block mined on B's page", func() bool { return len(a.blocks()) == 3 })
	if got, fromB := a.blocks()[2], b.blocks()[2]; !blockEqual(got, fromB) || string(got.Data) != `["페이지의 폼에서"]` {
		t.Errorf("A's block 2: got data %s, want B's block with data [\"페이지의 폼에서\"]", got.Data)
	}
	p.waitUntil(t, "B's page to show 3 linked cards", fmt.Sprintf(`(() => { const c = %s;
		return (c.length === 3 && c.every((x, i) => !x.broken && (i === 0 || x.prev === c[i-1].hash))) || c })()`, browserCardsJS))
	if len(p.errs) > 0 {
		t.Errorf("page errors: got %q, want none", p.errs)
	}
	if path := os.Getenv("SCREENSHOT"); path != "" { // README 에 쓸 B 의 페이지
		var shot struct{ Data []byte } // base64 는 encoding/json 이 []byte 로 푼다
		res, err := p.call("Page.captureScreenshot", map[string]any{"format": "png"})
		if err == nil && json.Unmarshal(res, &shot) == nil {
			err = os.WriteFile(path, shot.Data, 0o644)
		}
		if err != nil || len(shot.Data) == 0 {
			t.Errorf("screenshot %s: got %v and %d bytes, want a PNG", path, err, len(shot.Data))
		}
	}
}
