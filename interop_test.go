package main

import (
	"cmp"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// ---------- 챕터의 자바스크립트 노드와 한 네트워크 (testdata/jsnode) ----------

// interopGenesisHash 는 제네시스 블록의 해시이다: 64글자 대문자 16진수라 머클 잎으로 그대로 쓰인다.
const interopGenesisHash = "C8CD3F1A0BCF8EE28A559D2DE7A4A871E684BFAFEEAAF996C8FCFA5B247B6129"

// interopKind 는 POST /mineBlock 의 몸체 하나와, 두 노드가 모두 적어야 할 data(JSON.stringify 의 꼴), 그리고 잎의 String() 이다.
type interopKind struct {
	name, body, data string
	leaves           []string
}

// interopKinds 는 챕터의 노드가 생성하는 data 의 종류이다. 기대값은 node 의 JSON.stringify 와 String() 이 내는 값이다.
var interopKinds = []interopKind{
	{"한글", `{"data":["한글 데이터: 안녕하세요"]}`, `["한글 데이터: 안녕하세요"]`, []string{"한글 데이터: 안녕하세요"}},
	// <, >, & 와 U+2028, U+2029 는 JSON.stringify 가 그대로 쓴다.
	{"<&> U+2028", `{"data":["<&>","\u2028\u2029","😀"]}`, "[\"<&>\",\"\u2028\u2029\",\"😀\"]", []string{"<&>", "\u2028\u2029", "😀"}},
	// 제어 문자는 짧은 이스케이프나 \u00XX 로, DEL 은 그대로, 글자 그대로의 \u2028 은 \\u2028 로 쓴다.
	{"escapes", `{"data":["t\t n\n r\r q\" s\\ a\u0007 b\b f\f u\u001f d\u007f \\u2028"]}`,
		`["t\t n\n r\r q\" s\\ a\u0007 b\b f\f u\u001f d` + "\x7f" + ` \\u2028"]`, []string{"t\t n\n r\r q\" s\\ a\a b\b f\f u\x1f d\x7f \\u2028"}},
	// 64글자 대문자 16진수인 잎은 해시하지 않고, 소문자인 것은 해시한다.
	{"hex leaf", `{"data":["` + interopGenesisHash + `"]}`, `["` + interopGenesisHash + `"]`, []string{interopGenesisHash}},
	{"hex leaves", `{"data":["` + strings.ToLower(interopGenesisHash) + `","` + interopGenesisHash + `","x"]}`,
		`["` + strings.ToLower(interopGenesisHash) + `","` + interopGenesisHash + `","x"]`,
		[]string{strings.ToLower(interopGenesisHash), interopGenesisHash, "x"}},
	// 수는 자바스크립트가 읽고 다시 쓴 꼴이다 (1.0 → 1, 1e21 → 1e+21, -0 → 0).
	{"numbers", `{"data":[1.0, 1e21, -0, 1e-7, 0.1, 123456789012345678901234567890]}`, `[1,1e+21,0,1e-7,0.1,1.2345678901234568e+29]`,
		[]string{"1", "1e+21", "0", "1e-7", "0.1", "1.2345678901234568e+29"}},
	{"null true false", `{"data":[null,true,false]}`, `[null,true,false]`, []string{"null", "true", "false"}},
	// 같은 키는 뒤의 값이 앞의 자리에 남고, 배열 인덱스인 키(2^32-2 까지)가 작은 차례로 먼저 온다.
	{"objects", `{"data":[{"b":1,"2":2,"1":3,"b":5,"01":0,"4294967295":7,"4294967294":6,"a":{"x":null}},{}]}`,
		`[{"1":3,"2":2,"4294967294":6,"b":5,"01":0,"4294967295":7,"a":{"x":null}},{}]`, []string{"[object Object]", "[object Object]"}},
	// 배열의 String() 은 원소들을 쉼표로 잇는다 (null 은 빈 글, 겹친 배열은 펼친다).
	{"nested arrays", `{"data":[[1,[2,null]],[],[[]],["a",["b"]]]}`, `[[1,[2,null]],[],[[]],["a",["b"]]]`, []string{"1,2,", "", "", "a,b"}},
	{"empty data", `{"data":[]}`, `[]`, nil},
	{"no data", `{}`, `[]`, nil}, // req.body.data || []
	{"null data", `{"data":null}`, `[]`, nil},
}

// interopRoot 는 잎들(String() 한 글)의 머클 루트를 챕터의 규칙대로 따로 구한다.
func interopRoot(texts []string) string {
	if len(texts) == 0 {
		return strings.Repeat("0", 64)
	}
	var level []string
	for _, s := range texts {
		if len(s) != 64 || strings.Trim(s, "0123456789ABCDEF") != "" {
			s = h(s)
		}
		level = append(level, s)
	}
	for len(level) > 1 {
		var up []string
		for i := 0; i+1 < len(level); i += 2 {
			up = append(up, h(level[i]+level[i+1]))
		}
		if len(level)%2 == 1 {
			up = append(up, level[len(level)-1])
		}
		level = up
	}
	return level[0]
}

// interopRejections 는 어느 쪽이든 블록이나 메시지를 거절했을 때 남기는 로그이다 (소문자로 견준다).
var interopRejections = []string{"ignored", "invalid", "cannot compute", "not adding", "not sending", "send failed"}

// interopRejected 는 노드의 로그에서 interopRejections 의 하나가 든 줄들이다.
func interopRejected(n *testNode) []string {
	var found []string
	for _, line := range strings.Split(n.logText(), "\n") {
		if slices.ContainsFunc(interopRejections, func(bad string) bool { return strings.Contains(strings.ToLower(line), bad) }) {
			found = append(found, line)
		}
	}
	return found
}

// interopMine 은 POST /mineBlock 에 body 를 (Content-Type: application/json 으로) 보내고 답한 블록과 그 바이트를 돌려준다.
func interopMine(t *testing.T, n *testNode, body string) (Block, string) {
	t.Helper()
	status, resp := httpDo(t, "POST", n.http+"/mineBlock", body)
	var b Block
	if err := json.Unmarshal([]byte(resp), &b); status != 200 || err != nil {
		t.Fatalf("%s POST /mineBlock %s: got %d %s (%v), want 200 and a block", n.name, body, status, resp, err)
	}
	return b, resp
}

// interopWaitTip 은 모든 노드의 마지막 블록이 b 가 될 때까지 기다린다. 어느 노드든 거절한 로그를 남기면 바로 멈춘다.
func interopWaitTip(t *testing.T, nodes []*testNode, b Block, what string) {
	t.Helper()
	hash := hashOf(b).String()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(2 * time.Millisecond) {
		done := true
		for _, n := range nodes {
			if lines := interopRejected(n); len(lines) > 0 {
				t.Fatalf("%s: got %s logging %q, want nothing rejected", what, n.name, lines)
			}
			done = done && n.tip() == hash
		}
		if done {
			return
		} else if time.Now().After(deadline) {
			t.Fatalf("%s: got no common tip %s within 10 s, want every node to hold it", what, hash)
		}
	}
}

// TestInteropWithJSNode 는 연결의 모양마다 다른 포크의 노드가 따라잡고, 양쪽에서 생성한 모든 종류의 data 가 블록, GET /blocks, QUERY_ALL 의 답까지 바이트로 같은지 본다.
func TestInteropWithJSNode(t *testing.T) {
	node := requireJSNode(t)
	topologies := []struct {
		name   string
		kinds  string   // 노드마다 J(자바스크립트)나 G(Go)
		edges  [][2]int // {연결하는 노드, 연결받는 노드}, 이 차례로
		miners []int    // data 의 종류마다 이 노드들이 차례로 생성한다
	}{
		{"Go dials JS", "JG", [][2]int{{1, 0}}, []int{0, 1}},                        // Go 가 앞선 JS 에 연결해 따라잡는다
		{"JS dials Go", "GJ", [][2]int{{1, 0}}, []int{0, 1}},                        // JS 가 앞선 Go 에 연결해 따라잡는다
		{"line J1-G1-J2-G2", "JGJG", [][2]int{{1, 0}, {2, 1}, {3, 2}}, []int{0, 3}}, // 끝의 블록이 JS 와 Go 를 모두 거친다
	}
	for _, top := range topologies {
		t.Run(top.name, func(t *testing.T) {
			t.Parallel()
			var nodes []*testNode
			t.Cleanup(func() { // 노드들이 멈춘 뒤에 돈다
				for _, n := range nodes {
					if t.Failed() {
						t.Logf("---- %s's log ----\n%s", n.name, n.logText())
					}
				}
			})
			for i, kind := range top.kinds {
				name := fmt.Sprintf("%c%d", kind, strings.Count(top.kinds[:i+1], string(kind)))
				if kind == 'J' {
					nodes = append(nodes, startJSNode(t, node, name))
				} else {
					nodes = append(nodes, startNode(t, name))
				}
			}
			began := time.Now().Unix()

			// 포크: 첫 노드는 블록 둘, 나머지는 하나. 연결하는 쪽이 앞선 포크를 따라잡는다 (QUERY_ALL, replaceChain).
			var mined []string // 살아남을 블록들의 POST /mineBlock 답
			for i, n := range nodes {
				for k := range max(2-i, 1) { // 첫 노드는 둘, 나머지는 하나
					_, raw := interopMine(t, n, fmt.Sprintf(`{"data":["%s fork %d"]}`, n.name, k+1))
					if i == 0 {
						mined = append(mined, raw)
					}
				}
			}
			want := nodes[0].blocks()
			for _, e := range top.edges {
				dialer, dialed := nodes[e[0]], nodes[e[1]]
				dialer.addPeers(dialed.p2p)
				if got := waitSameChain(t, dialer, dialed); !slices.EqualFunc(got, want, blockEqual) {
					t.Errorf("%s after dialing %s: got %d blocks, want %s's %d blocks", dialer.name, dialed.name, len(got), nodes[0].name, len(want))
				}
				dialer.waitLog("Received blockchain is valid. Replacing current blockchain with received blockchain")
			}

			// data 의 종류마다 miners 가 차례로 생성한다: 블록의 바이트가 따로 계산한 값과 같고, 모든 노드에 퍼진다.
			tip := want[len(want)-1]
			for _, k := range interopKinds {
				for _, m := range top.miners {
					n := nodes[m]
					b, raw := interopMine(t, n, k.body)
					wantRaw := fmt.Sprintf(`{"header":{"version":"2.1.0","index":%d,"previousHash":"%s","timestamp":%d,"merkleRoot":"%s"},"data":%s}`,
						tip.Header.Index+1, hashOf(tip), b.Header.Timestamp, interopRoot(k.leaves), k.data)
					if raw != wantRaw {
						t.Errorf("%s mining %s %s: %s", n.name, k.name, k.body, firstDiff(raw, wantRaw))
					}
					if now := time.Now().Unix(); b.Header.Timestamp < began-1 || b.Header.Timestamp > now+1 {
						t.Errorf("%s mining %s: got timestamp %d, want between %d and %d", n.name, k.name, b.Header.Timestamp, began-1, now+1)
					}
					interopWaitTip(t, nodes, b, fmt.Sprintf("%s's %s block", n.name, k.name))
					mined, tip = append(mined, raw), b
				}
			}

			// 끝: 모두 같은 체인이고, GET /blocks 는 생성한 블록들을 이은 바이트, QUERY_ALL 의 답은 그것을 data 문자열에 담은 프레임이다.
			if got, want := len(waitSameChain(t, nodes...)), 3+len(interopKinds)*len(top.miners); got != want {
				t.Errorf("chain length: got %d, want %d", got, want)
			}
			wantBody := "[" + string(stringify(getGenesisBlock())) + "," + strings.Join(mined, ",") + "]"
			for _, n := range nodes {
				if got := n.getRaw("/blocks"); got != wantBody {
					t.Errorf("%s GET /blocks: %s", n.name, firstDiff(got, wantBody))
				}
				if got := n.countLog("Connection failed"); got != 0 { // chainFrameOf 의 연결이 닫히기 전에 본다
					t.Errorf("%s: got %d \"Connection failed\" lines, want 0", n.name, got)
				}
			}
			for _, n := range nodes {
				if got, want := chainFrameOf(t, n), response(wantBody); got != want {
					t.Errorf("%s's RESPONSE_BLOCKCHAIN to QUERY_ALL: %s", n.name, firstDiff(got, want))
				}
				if lines := interopRejected(n); len(lines) > 0 {
					t.Errorf("%s: got %q, want no line with any of %q", n.name, lines, interopRejections)
				}
			}
		})
	}
}

// ---------- 노트를 따라 해 보기 (README 의 <!-- walkthrough: 4 --> 블록) ----------

// TestNoteWalkthrough 는 노트의 네 부분을 -trace 로 띄운 노드 셋으로 따라 하며 노드마다 챕터의 로그 줄이 차례대로 나오는지 본다.
func TestNoteWalkthrough(t *testing.T) {
	w := &walk{t: t, ports: map[string]string{}}
	t.Cleanup(func() { // 노드들이 멈춘 뒤에 돈다: 실패하면 세 노드의 로그 전체
		for num, n := range w.nodes {
			if n != nil && t.Failed() {
				t.Logf("노드 %d 의 로그 전체:\n%s", num, n.logText())
			}
		}
	})
	const (
		behind   = "Blockchain possibly behind. We got: "
		nothing  = "Received blockchain is not longer than current blockchain. Do nothing"
		appended = "We can append the received block to our chain"
		replaced = "Received blockchain is valid. Replacing current blockchain with received blockchain"
	)

	// 1. 최초의 피어 깨어남: 노드 1 이 두 포트에서 리슨한다.
	n1 := w.start(1, nil, "-http_port=0", "-p2p_port=0")
	p1 := w.addr(n1)
	w.expect(1, "Listening http port on: "+walkPort(n1.http), "Listening websocket p2p port on: "+walkPort(n1.p2p))
	w.step("1. 최초의 피어 깨어남 — 노드 1 을 띄운다. initHttpServer 와 initP2PServer 가 리슨한다.")

	// 2. 다른 피어가 연결 요청: 노드 2 가 -peers 로 연결하면 양쪽이 QUERY_LATEST 로 묻고, 받은 제네시스에 Do nothing.
	n2 := w.start(2, nil, "-http_port=0", "-p2p_port=0", "-peers="+n1.p2p)
	p2 := w.addr(n2)
	e2 := w.inbound(n1, nil) // 노드 1 이 보는 노드 2: 노드 2 가 연결할 때 쓴 임시 포트
	for num, peer := range map[int]string{2: p1, 1: e2} {
		w.expect(num, "→ "+peer+" QUERY_LATEST", "← "+peer+" QUERY_LATEST", "→ "+peer+" RESPONSE_BLOCKCHAIN 1 block [0]",
			"← "+peer+" RESPONSE_BLOCKCHAIN 1 block [0]", nothing)
	}
	w.step("2. 다른 피어가 연결 요청 — 노드 2 가 -peers 로 노드 1 에 연결한다. 양쪽의 initConnection 이 상대의 최신 블록을 묻고(QUERY_LATEST)," +
		" 받은 제네시스는 더 길지 않아 둘 다 Do nothing.")

	// 3. 블록생성: 노드 1 에 POST /mineBlock. 노드 2 는 바로 붙이고 다시 알린다 (4 의 첫째 분기).
	if b, _ := interopMine(t, n1, `{"data":["첫 번째 블록"]}`); b.Header.Index != 1 {
		t.Errorf("노드 1 POST /mineBlock: got block %d, want block 1", b.Header.Index)
	}
	w.expect(1, "→ "+e2+" RESPONSE_BLOCKCHAIN 1 block [1]", "← "+e2+" RESPONSE_BLOCKCHAIN 1 block [1]", nothing)
	w.expect(2, "← "+p1+" RESPONSE_BLOCKCHAIN 1 block [1]", behind+"0,  Peer got: 1", appended, "→ "+p1+" RESPONSE_BLOCKCHAIN 1 block [1]")
	w.step("3. 블록생성 — 노드 1 에 POST /mineBlock. mineBlock 이 블록을 붙이고 broadcast(responseLatestMsg()) 로 알린다." +
		" 노드 2 는 previousHash 가 자기 최신 블록의 해시라 바로 붙이고(첫째 분기) 다시 알린다. 노드 1 은 Do nothing.")

	// 4. 브로드캐스트: 노드 1 의 두 번째 블록을 노드 2 가 붙인다. 그다음 노드 3 이 POST /addPeers 로 노드 2 에 연결한다.
	interopMine(t, n1, `{"data":["두 번째","블록"]}`)
	w.expect(1, "→ "+e2+" RESPONSE_BLOCKCHAIN 1 block [2]", "← "+e2+" RESPONSE_BLOCKCHAIN 1 block [2]", nothing)
	w.expect(2, "← "+p1+" RESPONSE_BLOCKCHAIN 1 block [2]", behind+"1,  Peer got: 2", appended, "→ "+p1+" RESPONSE_BLOCKCHAIN 1 block [2]")
	n3 := w.start(3, []string{"HTTP_PORT=0", "P2P_PORT=0"}) // 챕터처럼 환경 변수로
	n3.addPeers(n2.p2p)
	e3 := w.inbound(n2, []string{p1}) // 노드 2 가 보는 노드 3
	w.expect(3, "→ "+p2+" QUERY_LATEST", "← "+p2+" QUERY_LATEST", "→ "+p2+" RESPONSE_BLOCKCHAIN 1 block [0]",
		"← "+p2+" RESPONSE_BLOCKCHAIN 1 block [2]", behind+"0,  Peer got: 2", "We have to query the chain from our peer",
		"→ "+p2+" QUERY_ALL", "← "+p2+" RESPONSE_BLOCKCHAIN 3 blocks [0…2]", behind+"0,  Peer got: 2",
		"Received blockchain is longer than current blockchain", replaced, "→ "+p2+" RESPONSE_BLOCKCHAIN 1 block [2]")
	w.expect(2, "→ "+e3+" QUERY_LATEST", "← "+e3+" QUERY_LATEST", "→ "+e3+" RESPONSE_BLOCKCHAIN 1 block [2]",
		"← "+e3+" RESPONSE_BLOCKCHAIN 1 block [0]", nothing, "← "+e3+" QUERY_ALL", "→ "+e3+" RESPONSE_BLOCKCHAIN 3 blocks [0…2]",
		"← "+e3+" RESPONSE_BLOCKCHAIN 1 block [2]", nothing)
	if got := len(waitSameChain(t, n1, n2, n3)); got != 3 {
		t.Errorf("after 노드 3 joined: got %d blocks, want 3", got)
	}
	w.step("4. 브로드 캐스트 — 노드 1 의 두 번째 블록도 노드 2 가 바로 붙인다(첫째 분기). 노드 3 이 깨어나 POST /addPeers 로 노드 2 에"+
		" 연결한다. 받은 최신 블록 [2] 는 붙일 수 없고 하나뿐이라 노드 2 에게 체인 전체를 묻고(QUERY_ALL, 둘째 분기), 받은 체인이"+
		" 올바르고 더 길어 바꾼다(셋째 분기).", 1, 2, 3)

	// 노드 3 에서 생성한 블록은 노드 2 를 거쳐 노드 1 까지 간다. 노드 2 는 두 소켓에 한 줄씩 보낸다.
	interopMine(t, n3, `{"data":["셋째"]}`)
	w.expect(3, "→ "+p2+" RESPONSE_BLOCKCHAIN 1 block [3]", "← "+p2+" RESPONSE_BLOCKCHAIN 1 block [3]", nothing)
	w.expect(2, "← "+e3+" RESPONSE_BLOCKCHAIN 1 block [3]", behind+"2,  Peer got: 3", appended,
		"→ "+p1+" RESPONSE_BLOCKCHAIN 1 block [3]", "→ "+e3+" RESPONSE_BLOCKCHAIN 1 block [3]")
	w.expect(1, "← "+e2+" RESPONSE_BLOCKCHAIN 1 block [3]", behind+"2,  Peer got: 3", appended, "→ "+e2+" RESPONSE_BLOCKCHAIN 1 block [3]")
	if got := len(waitSameChain(t, n1, n2, n3)); got != 4 {
		t.Errorf("after 노드 3 mined: got %d blocks, want 4", got)
	}
	w.step("4. 브로드 캐스트 — 노드 3 에서 생성한 블록이 노드 2 를 거쳐(노드 2 는 소켓마다 한 줄) 노드 1 까지 간다. 되돌아온 알림에는 Do nothing.", 3, 2, 1)

	// 끝내기: 노드 3 을 POST /stop 으로 멈추면 노드 2 가 그 소켓을 뺀다.
	w.nodes[3].stop()
	w.expect(3, "Stopping server")
	w.expect(2, "Connection failed to peer: "+e3+" (…")
	w.step("끝내기 — 노드 3 을 POST /stop 으로 멈춘다. 노드 2 는 그 소켓을 빼며 Connection failed to peer 를 찍는다.", 3, 2, 1)

	t.Run("README", w.checkReadme)
}

// walk 는 TestNoteWalkthrough 의 노드 셋과, 지금 단계가 시작할 때 노드마다 있던 로그 줄 수이다.
type walk struct {
	t     *testing.T
	nodes [4]*testNode      // nodes[1], nodes[2], nodes[3]
	mark  [4]int            // 지금 단계가 시작할 때의 줄 수
	ports map[string]string // 진짜 포트 → README 의 포트 (노드 N 의 HTTP 는 300N, P2P 는 600N): -v 의 이야기용
}

var (
	walkStamp  = regexp.MustCompile(`^\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2} `) // Go 의 log 가 붙이는 날짜와 시각
	walkPorts  = regexp.MustCompile(`(127\.0\.0\.1:|port on: )(\d+)`)
	walkHeader = regexp.MustCompile(`^# 노드 ([123])\b`)
)

// walkPort 는 "http://127.0.0.1:port" 나 "ws://127.0.0.1:port" 의 포트이다.
func walkPort(url string) string { return url[strings.LastIndex(url, ":")+1:] }

// start 는 노드 num 을 -trace 로 띄운다. env 는 더 붙일 환경 변수이다.
func (w *walk) start(num int, env []string, args ...string) *testNode {
	w.t.Helper()
	cmd := exec.Command(os.Args[0], append(args, "-p2p_host=127.0.0.1", "-trace")...)
	cmd.Env = append(append(os.Environ(), env...), childEnv+"=1")
	n := startProcess(w.t, fmt.Sprintf("노드 %d", num), cmd)
	w.nodes[num] = n
	w.ports[walkPort(n.http)], w.ports[walkPort(n.p2p)] = strconv.Itoa(3000+num), strconv.Itoa(6000+num)
	return n
}

// addr 는 다른 노드가 n 에 연결했을 때 -trace 에 보이는 n 의 주소이다.
func (w *walk) addr(n *testNode) string { return "127.0.0.1:" + walkPort(n.p2p) }

// inbound 는 n 의 GET /peers 에 known 말고 하나 더 있는 주소이다: n 에 연결해 온 노드의 "주소:임시 포트".
func (w *walk) inbound(n *testNode, known []string) string {
	w.t.Helper()
	var peer string
	waitFor(w.t, n.name+" to list a new peer", func() bool {
		peers := n.peers()
		i := slices.IndexFunc(peers, func(p string) bool { return !slices.Contains(known, p) })
		if i >= 0 {
			peer = peers[i]
		}
		return i >= 0
	})
	return peer
}

// log 는 노드 num 이 찍은 줄들에서 시각을 뺀 것이다 (from 번째 줄부터).
func (w *walk) log(num, from int) []string {
	n := w.nodes[num]
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []string
	for _, l := range n.lines[min(from, len(n.lines)):] {
		out = append(out, walkStamp.ReplaceAllString(strings.TrimRight(l, "\r"), ""))
	}
	return out
}

// walkMissing 은 want 의 줄들이 lines 에 이 차례로 있으면 -1 을, 아니면 처음 빠진 줄의 번호를 돌려준다.
// "…" 로 끝나는 줄은 그 앞까지로 시작하는 줄이면 된다.
func walkMissing(lines, want []string) int {
	i := 0
	for _, l := range lines {
		if i < len(want) && (l == want[i] || strings.HasSuffix(want[i], "…") && strings.HasPrefix(l, strings.TrimSuffix(want[i], "…"))) {
			i++
		}
	}
	if i < len(want) {
		return i
	}
	return -1
}

// expect 는 노드 num 이 이 단계에서 want 의 줄들을 이 차례로 찍기를 10 초까지 기다린다.
func (w *walk) expect(num int, want ...string) {
	w.t.Helper()
	for deadline := time.Now().Add(10 * time.Second); walkMissing(w.log(num, w.mark[num]), want) >= 0; time.Sleep(5 * time.Millisecond) {
		if got := w.log(num, w.mark[num]); time.Now().After(deadline) {
			w.t.Fatalf("노드 %d: got these lines in this step:\n%s\nwant these in this order (missing from %q on):\n%s",
				num, strings.Join(got, "\n"), want[walkMissing(got, want)], strings.Join(want, "\n"))
		}
	}
}

// step 은 단계를 끝낸다: -v 이면 설명과, 노드마다 이 단계에 찍은 줄을 order 의 차례로(포트는 README 의 것으로) 보인다.
func (w *walk) step(narration string, order ...int) {
	if len(order) == 0 {
		order = []int{1, 2, 3}
	}
	var b strings.Builder
	b.WriteString(narration)
	for _, num := range order {
		if w.nodes[num] == nil {
			continue
		}
		lines := w.log(num, w.mark[num])
		for _, l := range lines {
			fmt.Fprintf(&b, "\n    노드 %d | %s", num, walkPorts.ReplaceAllStringFunc(l, func(m string) string {
				sub := walkPorts.FindStringSubmatch(m)
				return sub[1] + cmp.Or(w.ports[sub[2]], sub[2])
			}))
		}
		w.mark[num] += len(lines)
	}
	w.t.Log(b.String())
}

// walkNormal 은 줄의 시각을 빼고 포트를 PORT 로 바꾼다: README 의 줄과 노드의 줄을 이렇게 견준다.
func walkNormal(line string) string {
	return walkPorts.ReplaceAllString(walkStamp.ReplaceAllString(strings.TrimRight(line, " \r"), ""), "${1}PORT")
}

// checkReadme 는 README 의 <!-- walkthrough: 4 --> 바로 다음 ``` 블록에서, "# 노드 N…" 주석 아래의 줄들이 (시각과 포트를 빼고)
// 노드 N 의 로그에 이 차례로 있는지 본다. "# " 로 시작하는 다른 줄은 주석이다.
func (w *walk) checkReadme(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(strings.ReplaceAll(string(readme), "\r\n", "\n"), "<!-- walkthrough: 4 -->\n")
	if !ok {
		t.Skip("README.md has no <!-- walkthrough: 4 --> line yet: no log block to check against this run")
	}
	block, fenced := strings.CutPrefix(rest, "```\n")
	if block, _, ok = strings.Cut(block, "\n```"); !fenced || !ok {
		t.Fatal("README.md: got <!-- walkthrough: 4 --> without a ``` block right below it, want a fenced block of log lines")
	}
	want, num, count := [4][]string{}, 0, 0
	for _, l := range strings.Split(block, "\n") {
		if m := walkHeader.FindStringSubmatch(l); m != nil {
			num, _ = strconv.Atoi(m[1])
		} else if l = walkNormal(l); l != "" && !strings.HasPrefix(l, "# ") {
			if num == 0 {
				t.Fatalf("README.md walkthrough block: got %q before any «# 노드 N:» line, want a node for every line", l)
			}
			want[num], count = append(want[num], l), count+1
		}
	}
	if count == 0 {
		t.Fatal("README.md walkthrough block: got no log lines, want some")
	}
	for num := 1; num <= 3; num++ {
		var got []string
		for _, l := range w.log(num, 0) {
			got = append(got, walkNormal(l))
		}
		if i := walkMissing(got, want[num]); i >= 0 {
			t.Errorf("README.md walkthrough block, 노드 %d: got no %q after the lines above it in 노드 %d's log, want every line in this order.\n"+
				"노드 %d's log (normalized):\n%s", num, want[num][i], num, num, strings.Join(got, "\n"))
		}
	}
}
