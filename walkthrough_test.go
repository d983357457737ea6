package main

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// ---------- README 의 「노트를 따라 해 보기」 ----------

// TestNoteWalkthrough 는 README 의 「노트를 따라 해 보기: 한 기계에 노드 셋」을 진짜 노드 세 프로세스(-trace)로
// 노트의 네 부분 차례대로 돌린다: 1. 깨어남, 2. 연결 요청, 3. 블록 생성, 4. 브로드캐스트.
// 단계마다 챕터의 로그 줄이 노드마다 차례대로 나왔는지 보고, `go test -run TestNoteWalkthrough -v .` 이면
// 단계의 설명과 세 노드가 그 단계에 찍은 줄을 보여 준다(시각은 빼고, 포트는 README 처럼 3001, 6001 … 로 바꿔서).
// 끝에 README 의 그 절에 있는 로그(<!-- walkthrough: N --> 다음의 코드 블록)가 이 테스트가 본 줄과 같은지 확인한다.
func TestNoteWalkthrough(t *testing.T) {
	w := &walkthrough{t: t, ports: map[string]string{}}
	t.Cleanup(func() { // 노드들이 멈춘 뒤에 돈다 (Cleanup 은 거꾸로): 실패하면 세 노드의 로그 전체
		if t.Failed() {
			for num, n := range w.nodes {
				if n != nil {
					t.Logf("노드 %d 의 로그 전체:\n%s", num, n.logText())
				}
			}
		}
	})
	const behind = "Blockchain possibly behind. We got: "
	const nothing = "Received blockchain is not longer than current blockchain. Do nothing"
	const appendLine = "We can append the received block to our chain"

	// 1. 최초의 피어 깨어남: 노드 1 (README: 터미널 1 에서 go run . -trace)
	w.begin()
	n1 := w.start(1, nil, "-http_port=0", "-p2p_port=0")
	w.inOrder(1, "Listening http port on: ", "Listening websocket p2p port on: ")
	w.end(1, "1. 최초의 피어 깨어남 — 노드 1 을 띄운다. initHttpServer 와 initP2PServer 가 리슨한다.")
	p1 := w.addr(n1) // 노드 2 가 보는 노드 1: "127.0.0.1:<P2P 포트>"

	// 2. 다른 피어가 연결 요청: 노드 2 가 -peers 로 노드 1 에 연결한다.
	w.begin()
	n2 := w.start(2, nil, "-http_port=0", "-p2p_port=0", "-peers="+n1.p2p)
	w.waitCount(1, nothing, 1)
	w.waitCount(2, nothing, 1)
	e2 := w.otherPeer(n1) // 노드 1 이 보는 노드 2: 노드 2 가 연결할 때 쓴 임시 포트
	w.inOrder(2, "→ "+p1+" QUERY_LATEST", "← "+p1+" QUERY_LATEST", "→ "+p1+" RESPONSE_BLOCKCHAIN 1 block [0]",
		"← "+p1+" RESPONSE_BLOCKCHAIN 1 block [0]", nothing)
	w.inOrder(1, "→ "+e2+" QUERY_LATEST", "← "+e2+" QUERY_LATEST", "→ "+e2+" RESPONSE_BLOCKCHAIN 1 block [0]",
		"← "+e2+" RESPONSE_BLOCKCHAIN 1 block [0]", nothing)
	// 이미 연결한 피어를 /addPeers 로 또 주면: 답은 200 이지만 건너뛰고, 까닭은 노드의 로그에 있다.
	if status, body := httpDo(t, "POST", n2.http+"/addPeers", `{"peers":["`+n1.p2p+`"]}`); status != http.StatusOK || body != "" {
		t.Errorf("노드 2 POST /addPeers (이미 연결한 피어): got %d %q, want 200 and an empty body", status, body)
	}
	w.waitCount(2, "Connection failed: "+n1.p2p+": ", 1)
	if got := n2.peers(); len(got) != 1 {
		t.Errorf("노드 2 GET /peers after adding 노드 1 again: got %q, want one peer", got)
	}
	w.end(2, "2. 다른 피어가 연결 요청 — 노드 2 가 -peers 로 노드 1 에 연결한다. 양쪽의 initConnection 이 상대의 최신 블록을 묻고"+
		"(QUERY_LATEST), 받은 제네시스는 더 길지 않아 둘 다 Do nothing. 이미 연결한 노드 1 을 POST /addPeers 로 또 주면 답은 200 이지만"+
		" 건너뛰고, 까닭은 노드 2 의 로그에 있다.")

	// 3. 블록 생성: 노드 1 에 POST /mineBlock. 노드 2 는 그 블록을 붙인다 (4. 브로드캐스트의 첫 갈래).
	w.begin()
	if b := n1.mine("첫 번째 블록"); b.Header.Index != 1 {
		t.Errorf("노드 1 POST /mineBlock: got block %d, want block 1", b.Header.Index)
	}
	w.waitCount(2, appendLine, 1)
	w.waitCount(1, nothing, 1)
	w.inOrder(1, "→ * (broadcast to 1) RESPONSE_BLOCKCHAIN 1 block [1]", "← "+e2+" RESPONSE_BLOCKCHAIN 1 block [1]", nothing)
	w.inOrder(2, "← "+p1+" RESPONSE_BLOCKCHAIN 1 block [1]", behind+"0,  Peer got: 1", appendLine,
		"→ * (broadcast to 1) RESPONSE_BLOCKCHAIN 1 block [1]")
	w.end(3, "3. 블록생성 — 노드 1 에 POST /mineBlock. mineBlock 이 블록을 붙이고 broadcast(responseLatestMsg()) 로 알린다."+
		" 노드 2 는 previousHash 가 자기 최신 블록의 해시라 바로 붙이고(4. 브로드캐스트의 첫 갈래) 다시 알린다. 노드 1 은 Do nothing.")

	// 4. 브로드캐스트: 노드 3 이 아직 연결하지 않은 동안 노드 1 에서 두 번째 블록.
	w.begin()
	n1.mine("두 번째", "블록")
	w.waitCount(2, appendLine, 1)
	w.waitCount(1, nothing, 1)
	w.inOrder(1, "→ * (broadcast to 1) RESPONSE_BLOCKCHAIN 1 block [2]", "← "+e2+" RESPONSE_BLOCKCHAIN 1 block [2]", nothing)
	w.inOrder(2, "← "+p1+" RESPONSE_BLOCKCHAIN 1 block [2]", behind+"1,  Peer got: 2", appendLine,
		"→ * (broadcast to 1) RESPONSE_BLOCKCHAIN 1 block [2]")
	w.end(4, "4. 브로드캐스트 — 노드 3 이 아직 연결하지 않은 동안 노드 1 에서 두 번째 블록을 생성한다. 노드 2 는 또 바로 붙인다.")

	// 노드 3 이 챕터처럼 환경 변수로 깨어나 POST /addPeers 로 노드 2 에 연결한다.
	w.begin()
	n3 := w.start(3, []string{"HTTP_PORT=0", "P2P_PORT=0"})
	p2 := w.addr(n2)
	n3.addPeers(n2.p2p)
	w.waitCount(3, "Received blockchain is valid. Replacing current blockchain with received blockchain", 1)
	w.waitCount(2, nothing, 2)
	e3 := w.otherPeer(n2, p1) // 노드 2 가 보는 노드 3
	w.inOrder(3, "→ "+p2+" QUERY_LATEST", "← "+p2+" QUERY_LATEST", "→ "+p2+" RESPONSE_BLOCKCHAIN 1 block [0]",
		"← "+p2+" RESPONSE_BLOCKCHAIN 1 block [2]", behind+"0,  Peer got: 2", "We have to query the chain from our peer",
		"→ "+p2+" QUERY_ALL", "← "+p2+" RESPONSE_BLOCKCHAIN 3 blocks [0…2]", behind+"0,  Peer got: 2",
		"Received blockchain is longer than current blockchain",
		"Received blockchain is valid. Replacing current blockchain with received blockchain",
		"→ * (broadcast to 1) RESPONSE_BLOCKCHAIN 1 block [2]")
	w.inOrder(2, "→ "+e3+" QUERY_LATEST", "← "+e3+" QUERY_LATEST", "→ "+e3+" RESPONSE_BLOCKCHAIN 1 block [2]",
		"← "+e3+" RESPONSE_BLOCKCHAIN 1 block [0]", nothing, "← "+e3+" QUERY_ALL",
		"→ "+e3+" RESPONSE_BLOCKCHAIN 3 blocks [0…2]", "← "+e3+" RESPONSE_BLOCKCHAIN 1 block [2]", nothing)
	if got := w.since(1); len(got) != 0 {
		t.Errorf("노드 1 while 노드 3 joins 노드 2: got %q, want no lines (노드 3 talks only to 노드 2)", got)
	}
	if got := len(waitSameChain(t, n1, n2, n3)); got != 3 {
		t.Errorf("after 노드 3 joined: got %d blocks, want 3", got)
	}
	w.end(4, "4. 브로드캐스트 — 노드 3 이 깨어나 POST /addPeers 로 노드 2 에 연결한다(노트 2 의 /addpeers). 받은 최신 블록(2번)은"+
		" previousHash 가 맞지 않고 하나뿐이라 노드 2 에게 체인 전체를 묻고(QUERY_ALL, 둘째 갈래), 받은 체인이 올바르고 더 길어"+
		" 바꾼다(셋째 갈래). 노드 1 은 이 일을 모른다.", 3, 2, 1)

	// 노드 3 에서 생성한 블록은 노드 2 를 거쳐 노드 1 까지 간다.
	w.begin()
	n3.mine("셋째")
	w.waitCount(1, appendLine, 1)
	w.waitCount(2, nothing, 1)
	w.waitCount(3, nothing, 1)
	w.inOrder(3, "→ * (broadcast to 1) RESPONSE_BLOCKCHAIN 1 block [3]", "← "+p2+" RESPONSE_BLOCKCHAIN 1 block [3]", nothing)
	w.inOrder(2, "← "+e3+" RESPONSE_BLOCKCHAIN 1 block [3]", behind+"2,  Peer got: 3", appendLine,
		"→ * (broadcast to 2) RESPONSE_BLOCKCHAIN 1 block [3]", "← "+p1+" RESPONSE_BLOCKCHAIN 1 block [3]", nothing)
	w.inOrder(1, "← "+e2+" RESPONSE_BLOCKCHAIN 1 block [3]", behind+"2,  Peer got: 3", appendLine,
		"→ * (broadcast to 1) RESPONSE_BLOCKCHAIN 1 block [3]")
	if got := len(waitSameChain(t, n1, n2, n3)); got != 4 {
		t.Errorf("after 노드 3 mined: got %d blocks, want 4", got)
	}
	w.end(4, "4. 브로드캐스트 — 노드 3 에서 생성한 블록이 노드 2 를 거쳐(broadcast to 2) 노드 1 까지 간다."+
		" 노드 1 이 다시 알린 블록은 노드 2 에게 이미 있어 Do nothing.", 3, 2, 1)

	// 노드 3 을 POST /stop 으로 멈춘다: 노드 2 가 그 소켓을 뺀다.
	w.begin()
	n3.stop()
	w.inOrder(3, "Stopping server")
	w.waitCount(2, "Connection failed to peer: "+e3+" (", 1)
	w.end(4, "끝내기 — 노드 3 을 POST /stop 으로 멈춘다. 노드 2 는 그 소켓을 빼며 Connection failed to peer 를 찍는다.", 3, 2, 1)

	// A→B 와 B→A: 노드 1 도 노드 2 에 연결하면 소켓이 둘이라, 챕터처럼 브로드캐스트가 두 번씩 온다.
	w.begin()
	n1.addPeers(n2.p2p)
	w.waitCount(1, nothing, 1)
	w.waitCount(2, nothing, 1)
	if got1, got2 := n1.peers(), n2.peers(); len(got1) != 2 || len(got2) != 2 {
		t.Errorf("GET /peers after 노드 1 also connected to 노드 2: got %q and %q, want two sockets on each node", got1, got2)
	}
	n1.mine("넷째")
	w.waitCount(2, appendLine, 1)
	w.waitCount(2, nothing, 2)
	w.waitCount(1, nothing, 3)
	if got := w.count(2, "← ", " RESPONSE_BLOCKCHAIN 1 block [4]"); got != 2 {
		t.Errorf("노드 2 received block 4 %d times, want 2 (once on each socket)", got)
	}
	if got := w.count(1, "← "); got != 4 { // 연결할 때의 QUERY_LATEST 와 답, 그리고 노드 2 가 두 소켓으로 알린 블록 4
		t.Errorf("노드 1 received %d messages, want 4:\n%s", got, strings.Join(w.since(1), "\n"))
	}
	w.end(4, "4. 브로드캐스트 — 노드 1 도 POST /addPeers 로 노드 2 에 연결한다(A→B 와 B→A). 소켓이 둘이 되어, 노드 1 에서 생성한 블록 4 가 노드 2 에"+
		" 두 번 온다(한 번은 붙이고 한 번은 Do nothing). 노드 2 가 다시 알린 것도 노드 1 에 두 번 온다.")

	// 노드 2 는 Ctrl-C(SIGINT)로, 노드 1 은 POST /stop 으로 멈춘다.
	w.begin()
	w.interrupt(n2)
	w.waitCount(1, "Connection failed to peer: ", 2)
	n1.stop()
	w.inOrder(2, "Stopping server")
	w.inOrder(1, "Connection failed to peer: ", "Connection failed to peer: ", "Stopping server")
	w.end(4, "끝내기 — 노드 2 는 Ctrl-C(SIGINT), 노드 1 은 POST /stop 으로 멈춘다. 둘 다 Stopping server 를 찍고 종료 코드 0 으로"+
		" 끝난다. 노드 1 은 노드 2 와의 소켓 둘을 뺀다.", 2, 1, 3)

	w.checkReadme()
}

// walkthrough 는 TestNoteWalkthrough 의 노드 셋과, 단계마다 노드들이 찍은 줄이다.
type walkthrough struct {
	t     *testing.T
	nodes [4]*testNode      // nodes[1], nodes[2], nodes[3]
	ports map[string]string // 진짜 포트 → README 의 포트 (노드 N 의 HTTP 는 300N, P2P 는 600N)
	mark  [4]int            // 지금 단계가 시작할 때 노드마다 이미 있던 로그 줄 수
	steps []walkthroughStep
}

// walkthroughStep 은 끝난 단계 하나: 노트의 몇째 부분인지와, 노드마다 그 단계에 찍은 줄(시각은 빼고 포트는 README 의 것).
type walkthroughStep struct {
	part  int
	lines [4][]string
}

// start 는 노드 num 을 -trace 로 띄운다. env 는 더 붙일 환경 변수(노드 3 은 챕터처럼 HTTP_PORT, P2P_PORT)이다.
func (w *walkthrough) start(num int, env []string, args ...string) *testNode {
	w.t.Helper()
	cmd := exec.Command(os.Args[0], append(args, "-p2p_host=127.0.0.1", "-trace")...)
	cmd.Env = append(append(os.Environ(), env...), childEnv+"=1")
	n := startProcess(w.t, fmt.Sprintf("노드 %d", num), cmd)
	w.nodes[num] = n
	w.ports[walkthroughPortOf(n.http)] = strconv.Itoa(3000 + num)
	w.ports[walkthroughPortOf(n.p2p)] = strconv.Itoa(6000 + num)
	return n
}

// walkthroughPortOf 는 "http://127.0.0.1:port" 나 "ws://127.0.0.1:port" 의 포트이다.
func walkthroughPortOf(url string) string { return url[strings.LastIndex(url, ":")+1:] }

// addr 는 다른 노드가 n 에 연결했을 때 -trace 와 /peers 에 보이는 n 의 주소이다.
func (w *walkthrough) addr(n *testNode) string { return "127.0.0.1:" + walkthroughPortOf(n.p2p) }

// otherPeer 는 n 의 GET /peers 에서 known 이 아닌 주소 하나이다 (n 에 연결해 온 노드의 "주소:임시 포트").
func (w *walkthrough) otherPeer(n *testNode, known ...string) string {
	w.t.Helper()
	peers := n.peers()
	for _, p := range peers {
		if !slices.Contains(known, p) {
			return p
		}
	}
	w.t.Fatalf("%s GET /peers: got %q, want a peer other than %q", n.name, peers, known)
	return ""
}

// lines 는 노드 num 이 지금까지 찍은 로그 줄이다.
func (w *walkthrough) lines(num int) []string {
	if w.nodes[num] == nil {
		return nil
	}
	text := w.nodes[num].logText()
	if text == "" {
		return nil
	}
	return strings.Split(text, "\n")
}

// begin 은 새 단계를 시작한다: 지금까지의 줄은 앞 단계의 것이다.
func (w *walkthrough) begin() {
	for num := 1; num <= 3; num++ {
		w.mark[num] = len(w.lines(num))
	}
}

// since 는 노드 num 이 이 단계에서 찍은 줄이다.
func (w *walkthrough) since(num int) []string {
	lines := w.lines(num)
	return lines[min(w.mark[num], len(lines)):]
}

// count 는 노드 num 이 이 단계에서 찍은 줄 가운데 substrs 가 모두 든 줄의 수이다.
func (w *walkthrough) count(num int, substrs ...string) int {
	c := 0
	for _, l := range w.since(num) {
		if !slices.ContainsFunc(substrs, func(s string) bool { return !strings.Contains(l, s) }) {
			c++
		}
	}
	return c
}

// waitCount 는 노드 num 이 이 단계에서 substr 이 든 줄을 want 번 찍을 때까지 기다린다.
func (w *walkthrough) waitCount(num int, substr string, want int) {
	w.t.Helper()
	waitFor(w.t, fmt.Sprintf("노드 %d to log %q %d time(s) in this step", num, substr, want),
		func() bool { return w.count(num, substr) >= want })
}

// inOrder 는 노드 num 이 이 단계에서 want 의 줄들을 이 차례대로 찍었는지 본다 (줄마다 want 의 글이 들어 있으면 된다).
// 한 번에 찍은 줄들도 파이프로는 나뉘어 올 수 있으므로, 다 올 때까지 10 초까지 기다린 뒤에 본다.
func (w *walkthrough) inOrder(num int, want ...string) {
	w.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	waitFor(w.t, fmt.Sprintf("노드 %d to log %q", num, want), func() bool {
		return walkthroughMissing(w.since(num), want) < 0 || time.Now().After(deadline)
	})
	got := w.since(num)
	if i := walkthroughMissing(got, want); i >= 0 {
		w.t.Errorf("노드 %d: got these lines:\n%s\nwant lines with these, in this order (missing from %q on):\n%s",
			num, strings.Join(got, "\n"), want[i], strings.Join(want, "\n"))
	}
}

// walkthroughMissing 은 lines 에 want 의 글들이 차례대로 들어 있지 않으면 처음 빠진 것의 번호를, 다 있으면 -1 을 돌려준다.
func walkthroughMissing(lines, want []string) int {
	i := 0
	for _, l := range lines {
		if i < len(want) && strings.Contains(l, want[i]) {
			i++
		}
	}
	if i < len(want) {
		return i
	}
	return -1
}

// interrupt 는 노드를 Ctrl-C 처럼 SIGINT 로 멈추고, 종료 코드 0 으로 끝나는지 본다.
func (w *walkthrough) interrupt(n *testNode) {
	w.t.Helper()
	if err := n.cmd.Process.Signal(os.Interrupt); err != nil {
		w.t.Fatalf("%s: SIGINT: %v", n.name, err)
	}
	select {
	case <-n.exited:
	case <-time.After(20 * time.Second):
		n.cmd.Process.Kill()
		<-n.exited
		n.stopped = true
		w.t.Fatalf("%s did not exit within 20 s of SIGINT (Ctrl-C)", n.name)
	}
	n.stopped = true // startProcess 의 Cleanup 이 POST /stop 을 보내지 않도록
	if code := n.cmd.ProcessState.ExitCode(); code != 0 {
		w.t.Errorf("%s after SIGINT: got exit code %d, want 0", n.name, code)
	}
	if n.countLog("DATA RACE") > 0 || n.countLog("panic") > 0 {
		w.t.Errorf("%s reported a data race or panic:\n%s", n.name, n.logText())
	}
}

// end 는 단계를 끝낸다: 노드마다 이 단계의 줄을 모아 두고, -v 이면 설명과 그 줄들을 노드 order 의 차례로
// (없으면 노드 1, 2, 3) 보인다. 일이 일어난 차례대로 읽히도록, 먼저 움직인 노드를 앞에 둔다.
func (w *walkthrough) end(part int, narration string, order ...int) {
	w.t.Helper()
	if len(order) == 0 {
		order = []int{1, 2, 3}
	}
	step := walkthroughStep{part: part}
	var b strings.Builder
	b.WriteString(narration)
	for _, num := range order {
		for _, l := range w.since(num) {
			l = w.display(l)
			step.lines[num] = append(step.lines[num], l)
			fmt.Fprintf(&b, "\n    노드 %d | %s", num, l)
		}
	}
	w.steps = append(w.steps, step)
	w.t.Log(b.String())
}

var (
	walkthroughStamp       = regexp.MustCompile(`^\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2} `) // Go 의 log 가 붙이는 날짜와 시각
	walkthroughPort        = regexp.MustCompile(`(127\.0\.0\.1:|port on: )(\d+)`)
	walkthroughReadmePorts = []string{"3001", "3002", "3003", "6001", "6002", "6003"}
)

// display 는 로그 한 줄에서 시각을 빼고, 노드들의 진짜 포트를 README 의 포트로 바꾼다. 임시 포트는 그대로 둔다.
func (w *walkthrough) display(line string) string {
	line = walkthroughStamp.ReplaceAllString(line, "")
	return walkthroughPort.ReplaceAllStringFunc(line, func(m string) string {
		sub := walkthroughPort.FindStringSubmatch(m)
		if p, ok := w.ports[sub[2]]; ok {
			return sub[1] + p
		}
		return m
	})
}

// walkthroughComparable 은 줄들을 견줄 수 있게 만든다: 시각을 빼고, README 의 포트(3001 … 6003)가 아닌 임시 포트는
// 처음 나온 차례대로 <임시 포트 1>, <임시 포트 2> … 로 바꾼다. 그래서 README 는 아무 임시 포트나 쓸 수 있지만,
// 같은 연결에는 같은 포트를 써야 한다.
func walkthroughComparable(lines []string) []string {
	names := map[string]string{}
	out := make([]string, len(lines))
	for i, l := range lines {
		l = walkthroughStamp.ReplaceAllString(strings.TrimRight(l, " \t\r"), "")
		out[i] = walkthroughPort.ReplaceAllStringFunc(l, func(m string) string {
			sub := walkthroughPort.FindStringSubmatch(m)
			if sub[1] != "127.0.0.1:" || slices.Contains(walkthroughReadmePorts, sub[2]) {
				return m
			}
			if names[sub[2]] == "" {
				names[sub[2]] = fmt.Sprintf("<임시 포트 %d>", len(names)+1)
			}
			return sub[1] + names[sub[2]]
		})
	}
	return out
}

// walkthroughExcerpt 는 README 의 로그 블록 하나이다: <!-- walkthrough: N --> 바로 다음의 ``` 블록.
// 블록 안에서 "# 노드 K …" 줄이 그 아래 줄들이 어느 노드의 것인지 알린다.
type walkthroughExcerpt struct {
	part     int
	line     int // README 에서 표시가 있는 줄 (1 부터)
	sections []walkthroughSection
}

type walkthroughSection struct {
	node   int
	header string
	lines  []string
}

var (
	walkthroughMarker = regexp.MustCompile(`^<!-- walkthrough: (\d) -->$`)
	walkthroughHeader = regexp.MustCompile(`^# 노드 ([123])\b`)
)

// walkthroughExcerpts 는 README 의 「노트를 따라 해 보기」 절에서 로그 블록들을 읽는다. 언어 이름이 없는 ``` 블록은
// 모두 로그이므로 표시가 있어야 하고, 표시 다음에는 바로 그런 블록이 와야 한다.
func walkthroughExcerpts(readme string) ([]walkthroughExcerpt, error) {
	lines := strings.Split(readme, "\n")
	first := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, "## 노트를 따라 해 보기") })
	if first < 0 {
		return nil, fmt.Errorf("README.md has no section «## 노트를 따라 해 보기»")
	}
	var excerpts []walkthroughExcerpt
	for i := first + 1; i < len(lines) && !strings.HasPrefix(lines[i], "## "); i++ {
		l := strings.TrimRight(lines[i], " \r")
		m := walkthroughMarker.FindStringSubmatch(l)
		if m == nil && l != "```" {
			if strings.HasPrefix(l, "```") { // ```sh, ```mermaid …: 끝까지 건너뛴다
				for i++; i < len(lines) && strings.TrimRight(lines[i], " \r") != "```"; i++ {
				}
			}
			continue
		}
		if m == nil {
			return nil, fmt.Errorf("README line %d: a log block (```) without a <!-- walkthrough: N --> line just above it", i+1)
		}
		if i+1 >= len(lines) || strings.TrimRight(lines[i+1], " \r") != "```" {
			return nil, fmt.Errorf("README line %d: %s is not followed by a ``` line", i+1, l)
		}
		part, _ := strconv.Atoi(m[1])
		ex := walkthroughExcerpt{part: part, line: i + 1}
		for i += 2; ; i++ {
			if i >= len(lines) {
				return nil, fmt.Errorf("README line %d: the log block never ends", ex.line)
			}
			l := strings.TrimRight(lines[i], " \r")
			if l == "```" {
				break
			}
			if h := walkthroughHeader.FindStringSubmatch(l); h != nil {
				node, _ := strconv.Atoi(h[1])
				ex.sections = append(ex.sections, walkthroughSection{node: node, header: l})
			} else if len(ex.sections) == 0 {
				return nil, fmt.Errorf("README line %d: %q comes before any «# 노드 K» line", i+1, l)
			} else if l != "" {
				s := &ex.sections[len(ex.sections)-1]
				s.lines = append(s.lines, l)
			}
		}
		for _, s := range ex.sections {
			if len(s.lines) == 0 {
				return nil, fmt.Errorf("README line %d: %q has no lines under it", ex.line, s.header)
			}
		}
		if len(ex.sections) == 0 {
			return nil, fmt.Errorf("README line %d: an empty log block", ex.line)
		}
		excerpts = append(excerpts, ex)
	}
	return excerpts, nil
}

// checkReadme 는 README 의 로그 블록마다, 그 안의 노드 K 의 줄들이 노드 K 가 노트의 N 번째 부분에서 찍은 줄 가운데
// 이어진 몇 줄과 같은지 본다 (시각과 임시 포트는 빼고 견준다). 한 글자라도 다르면 실패한다.
func (w *walkthrough) checkReadme() {
	t := w.t
	t.Helper()
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	excerpts, err := walkthroughExcerpts(string(readme))
	if err != nil {
		t.Fatal(err)
	}
	if len(excerpts) == 0 {
		t.Fatal("README's «노트를 따라 해 보기» has no <!-- walkthrough: N --> log block, want at least one")
	}
	for _, ex := range excerpts {
		for _, s := range ex.sections {
			var seen []string
			for _, step := range w.steps {
				if step.part == ex.part {
					seen = append(seen, step.lines[s.node]...)
				}
			}
			want := walkthroughComparable(s.lines)
			bestAt, best := 0, -1 // 가장 길게 맞는 자리와 그 길이 (실패 메시지용)
			for at := 0; at+len(want) <= len(seen); at++ {
				got := walkthroughComparable(seen[at : at+len(want)])
				k := 0
				for k < len(want) && got[k] == want[k] {
					k++
				}
				if k > best {
					bestAt, best = at, k
				}
				if k == len(want) {
					break
				}
			}
			if best == len(want) {
				continue
			}
			detail := fmt.Sprintf("the test saw only %d lines", len(seen))
			if best >= 0 {
				detail = fmt.Sprintf("closest run: its line %d is %q, the README has %q", best+1,
					walkthroughComparable(seen[bestAt : bestAt+len(want)])[best], want[best])
			}
			t.Errorf("README line %d (<!-- walkthrough: %d -->, %s): got no run of these lines in 노드 %d's part-%d log, want one (%s).\n"+
				"노드 %d's part-%d lines in this run:\n%s\nthe README's lines:\n%s",
				ex.line, ex.part, s.header, s.node, ex.part, detail,
				s.node, ex.part, strings.Join(seen, "\n"), strings.Join(s.lines, "\n"))
		}
	}
}
