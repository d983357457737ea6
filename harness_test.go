package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/websocket"
)

// ---------- 테스트 도우미 ----------

// 챕터의 전역 변수(blockchain, sockets) 때문에 한 프로세스에는 노드가 하나뿐이다. 그래서 테스트는 이 테스트 프로세스 안의
// 노드(startLocalNode) 하나와, 같은 테스트 바이너리를 자식 프로세스로 띄운 노드들(startNode)을 함께 쓴다.
const childEnv, timeoutEnv = "BLOCKNODE_TEST_CHILD", "BLOCKNODE_TEST_TIMEOUT"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		if d, err := time.ParseDuration(os.Getenv(timeoutEnv)); err == nil {
			writeTimeout, dialTimeout = d, d // 시간 제한을 시험하는 자식 노드: 고루틴이 하나도 돌기 전에 바꾼다
		}
		main() // 자식 프로세스: 진짜 노드로 돈다
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// h 는 s 의 SHA-256 을 대문자 16진수로 돌려준다. 기대값을 챕터의 규칙대로 따로 계산할 때 쓴다.
func h(s string) string {
	sum := sha256.Sum256([]byte(s))
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

func ptr(s string) *string { return &s }

// waitFor 는 cond 가 참이 될 때까지 짧은 간격(점점 길게, 10ms 까지)으로 기다리고, 30초 안에 안 되면 테스트를 멈춘다.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for pause := 50 * time.Microsecond; !cond(); pause = min(2*pause, 10*time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(pause)
	}
}

// heapNow 는 힙에 있는 객체의 바이트 수(아직 치우지 않은 쓰레기 포함)이다: 프로세스의 메모리(RSS)에 가깝다.
func heapNow() uint64 {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(sample)
	return sample[0].Value.Uint64()
}

// heapPeak 은 stop 이 닫힐 때까지 heapNow 를 자주 재어 가장 큰 값을 돌려준다.
func heapPeak(stop <-chan struct{}) <-chan uint64 {
	peak := make(chan uint64, 1)
	go func() {
		var most uint64
		for {
			most = max(most, heapNow())
			select {
			case <-stop:
				peak <- most
				return
			case <-time.After(200 * time.Microsecond):
			}
		}
	}()
	return peak
}

// allocated 는 이 프로세스가 지금까지 할당한 바이트 수이다.
func allocated() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.TotalAlloc
}

// discardLog 는 이 프로세스 노드의 로그를 테스트가 끝날 때까지 버린다.
func discardLog(t testing.TB) {
	log.SetOutput(io.Discard)
	t.Cleanup(func() { log.SetOutput(os.Stderr) })
}

// captureLog 는 이 프로세스 노드의 로그를 테스트가 끝날 때까지 모은다.
func captureLog(t testing.TB) *testNode {
	n := &testNode{t: t, name: "log"}
	log.SetOutput(n)
	t.Cleanup(func() { log.SetOutput(os.Stderr) })
	return n
}

// resetChain 은 이 프로세스의 체인을 제네시스 블록 하나로 되돌린다.
func resetChain() { setChain([]Block{getGenesisBlock()}) }

func setChain(chain []Block) {
	mu.Lock()
	blockchain = chain
	mu.Unlock()
}

// chainNow 와 socketsNow 는 이 프로세스 노드의 체인과 소켓을 mu 를 잡고 읽는다.
func chainNow() []Block {
	mu.Lock()
	defer mu.Unlock()
	return slices.Clone(getBlockchain())
}

func socketsNow() []*socket {
	mu.Lock()
	defer mu.Unlock()
	return slices.Clone(getSockets())
}

// makeChain 은 제네시스 위에 n 개의 블록을 올린 올바른 체인을 만든다 (전역 체인은 건드리지 않는다).
func makeChain(n int, tag string) []Block {
	chain := []Block{getGenesisBlock()}
	for i := 1; i <= n; i++ {
		chain = append(chain, nextBlock(chain[i-1], fmt.Sprintf("%s block %d", tag, i)))
	}
	return chain
}

// nextBlock 은 prev 바로 다음에 올 올바른 블록이다.
func nextBlock(prev Block, data ...string) Block {
	facts, _ := prepareData(vals(data...), maxLeaves)
	header := BlockHeader{"2.1.0", prev.Header.Index + 1, hashOf(prev), 1700000000 + prev.Header.Index + 1, facts.root}
	return Block{Header: header, Data: vals(data...)}
}

// hashOf 는 블록의 해시이다. calculateHashForBlock 과 달리 노드가 mu 를 잡고 쓰는 known 을 보지 않아 아무 고루틴에서나 부를 수 있다.
func hashOf(b Block) Hash {
	h := b.Header
	return calculateHash(h.Version, h.Index, h.PreviousHash, h.Timestamp, h.MerkleRoot)
}

// vals 는 문자열들을 JSON 문자열 값의 배열(블록의 data)로 만든다.
func vals(strs ...string) json.RawMessage {
	if strs == nil {
		strs = []string{}
	}
	return stringify(strs)
}

func blockEqual(a, b Block) bool { return a.Header == b.Header && bytes.Equal(a.Data, b.Data) }

// chainFrame 은 blocks 를 담은 RESPONSE_BLOCKCHAIN 프레임이다 (받는 쪽이 보는 바이트).
func chainFrame(blocks []Block) []byte { return []byte(response(string(stringify(blocks)))) }

// response 는 blocks(JSON 글)를 data 문자열에 담은 RESPONSE_BLOCKCHAIN 메시지이다: encoding/json 으로 따로 쓴다.
func response(blocks string) string {
	return `{"type":2,"data":` + string(stringify(blocks)) + `}`
}

// blocksOf 는 RESPONSE_BLOCKCHAIN 프레임을 encoding/json 으로 그냥 풀어 그 블록들을 돌려준다.
func blocksOf(frame string) ([]Block, error) {
	var m struct {
		Type MessageType
		Data *string
	}
	if err := json.Unmarshal([]byte(frame), &m); err != nil {
		return nil, err
	}
	if m.Type != RESPONSE_BLOCKCHAIN || m.Data == nil {
		return nil, fmt.Errorf("not a RESPONSE_BLOCKCHAIN with data: %.60q", frame)
	}
	var blocks []Block
	if err := json.Unmarshal([]byte(*m.Data), &blocks); err != nil {
		return nil, err
	}
	if len(blocks) == 0 {
		return nil, errors.New("no blocks")
	}
	return blocks, nil
}

// testNode 는 테스트가 다루는 노드 하나이다: 자식 프로세스이거나(cmd != nil) 이 프로세스 안의 노드이다.
type testNode struct {
	t       testing.TB
	name    string
	http    string // "http://127.0.0.1:port"
	p2p     string // "ws://127.0.0.1:port"
	cmd     *exec.Cmd
	exited  chan struct{}
	stopped bool
	mu      sync.Mutex // lines 와 partial 을 지킨다
	lines   []string   // 노드가 남긴 로그 줄
	partial []byte
}

// Write 는 노드의 로그를 받아 줄로 모은다 (log.SetOutput 과 자식 프로세스의 출력).
func (n *testNode) Write(p []byte) (int, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.partial = append(n.partial, p...)
	for {
		i := bytes.IndexByte(n.partial, '\n')
		if i < 0 {
			break
		}
		n.lines = append(n.lines, string(n.partial[:i]))
		n.partial = n.partial[i+1:]
	}
	return len(p), nil
}

// countLog 는 substr 이 든 로그 줄의 수이다.
func (n *testNode) countLog(substr string) int {
	n.mu.Lock()
	defer n.mu.Unlock()
	c := 0
	for _, l := range n.lines {
		if strings.Contains(l, substr) {
			c++
		}
	}
	return c
}

// logText 는 지금까지의 로그 전체이다 (실패 메시지용).
func (n *testNode) logText() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return strings.Join(n.lines, "\n")
}

// waitLog 는 substr 이 든 로그 줄이 나올 때까지 기다린다.
func (n *testNode) waitLog(substr string) {
	n.t.Helper()
	waitFor(n.t, fmt.Sprintf("%s to log %q", n.name, substr), func() bool { return n.countLog(substr) > 0 })
}

// waitPort 는 노드가 로그에 남긴 포트 번호를 읽는다.
func (n *testNode) waitPort(prefix string) string {
	n.t.Helper()
	var port string
	waitFor(n.t, n.name+" to listen", func() bool {
		n.mu.Lock()
		defer n.mu.Unlock()
		for _, l := range n.lines {
			if _, after, ok := strings.Cut(l, prefix); ok {
				port = after
				return true
			}
		}
		return false
	})
	return port
}

var localNodeMu sync.Mutex // 이 프로세스 안의 노드는 한 번에 하나만

// startLocalNode 는 이 테스트 프로세스 안에서 노드를 연다 (127.0.0.1 의 빈 포트 둘).
// 끝날 때 모든 소켓을 닫고, 대기열의 답이 센 바이트가 0 으로 돌아왔는지 본다.
func startLocalNode(t testing.TB) *testNode {
	t.Helper()
	localNodeMu.Lock()
	resetChain()
	n := &testNode{t: t, name: "local node"}
	log.SetOutput(n)
	httpListener, err := listen("127.0.0.1", "0", "-http_port", "HTTP_PORT")
	if err != nil {
		t.Fatal(err)
	}
	p2pListener, err := listen("", "0", "-p2p_port", "P2P_PORT") // 모든 주소: 127.0.0.2 같은 다른 루프백 이름으로도 닿는다
	if err != nil {
		t.Fatal(err)
	}
	httpSrv, p2pSrv := initHttpServer(httpListener), initP2PServer(p2pListener)
	n.http, n.p2p = "http://"+httpSrv.Addr, fmt.Sprintf("ws://127.0.0.1:%d", p2pListener.Addr().(*net.TCPAddr).Port)
	t.Cleanup(func() {
		httpSrv.Close()
		p2pSrv.Close()
		closeAllSockets(t)
		waitFor(t, "queued answers to be released", func() bool {
			mu.Lock()
			defer mu.Unlock()
			return queuedBytes == 0
		})
		log.SetOutput(os.Stderr)
		resetChain()
		localNodeMu.Unlock()
	})
	return n
}

// closeAllSockets 는 이 프로세스 노드의 모든 소켓을 닫고 다 빠질 때까지 기다린다.
func closeAllSockets(t testing.TB) {
	t.Helper()
	for _, ws := range socketsNow() {
		ws.close(errors.New("closed by the test"))
	}
	waitFor(t, "all sockets to close", func() bool { return len(socketsNow()) == 0 })
}

// newTestSocket 은 연결도 쓰기 고루틴도 없이 대기열만 있는 소켓이다: receive 나 챕터의 함수를 바로 부를 때 쓴다.
// 보낸 것은 대기열에 쌓이고 drain 으로 꺼낸다.
func newTestSocket(addr string) *socket {
	ws := newSocket(nil, nil, addr, "")
	mu.Lock()
	initMessageHandler(ws)
	initErrorHandler(ws)
	mu.Unlock()
	return ws
}

// drain 은 소켓의 대기열에 쌓인 프레임들을 꺼낸다 (writePump 가 보낸 것처럼 센 값도 줄인다).
func drain(ws *socket) []string {
	mu.Lock()
	defer mu.Unlock()
	var frames []string
	for {
		select {
		case f := <-ws.queue:
			sent(ws, f)
			frames = append(frames, string(f.text()))
		default:
			return frames
		}
	}
}

// startNode 는 이 테스트 바이너리를 자식 프로세스로 띄워 진짜 노드 하나를 연다.
// 끝날 때 POST /stop 으로 멈추고, 종료 코드 0 과 (경쟁 탐지기의) DATA RACE, panic 이 없는지 확인한다.
func startNode(t testing.TB, name string, peers ...string) *testNode {
	t.Helper()
	args := []string{"-http_port=0", "-p2p_port=0", "-p2p_host=127.0.0.1"}
	if len(peers) > 0 {
		args = append(args, "-peers="+strings.Join(peers, ","))
	}
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), childEnv+"=1")
	return startProcess(t, name, cmd)
}

// startQuickNode 는 시간 제한(writeTimeout, dialTimeout)을 1초로 줄인 자식 노드를 띄운다.
func startQuickNode(t testing.TB, name string) *testNode {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-http_port=0", "-p2p_port=0", "-p2p_host=127.0.0.1")
	cmd.Env = append(os.Environ(), childEnv+"=1", timeoutEnv+"=1s")
	return startProcess(t, name, cmd)
}

// startProcess 는 노드 프로세스를 띄우고, 그 출력을 로그로 모으고, 로그에 남긴 두 포트를 읽는다.
func startProcess(t testing.TB, name string, cmd *exec.Cmd) *testNode {
	t.Helper()
	n := &testNode{t: t, name: name, cmd: cmd, exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = n, n // 같은 Writer 이므로 exec 는 한 번에 한 고루틴만 Write 를 부른다
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		cmd.Wait()
		close(n.exited)
	}()
	t.Cleanup(func() { n.stop() })
	httpPort := n.waitPort("Listening http port on: ")
	p2pPort := n.waitPort("Listening websocket p2p port on: ")
	n.http, n.p2p = "http://127.0.0.1:"+httpPort, "ws://127.0.0.1:"+p2pPort
	return n
}

// stop 은 노드에 POST /stop 을 보내고 끝나기를 기다린다.
func (n *testNode) stop() {
	t := n.t
	t.Helper()
	if n.stopped {
		return
	}
	n.stopped = true
	if n.http == "" {
		n.cmd.Process.Kill()
		<-n.exited
		t.Errorf("%s did not start:\n%s", n.name, n.logText())
		return
	}
	if resp := request(t, "POST", n.http+"/stop", "", nil); resp.status != 200 || resp.body != `{"msg":"Stopping server"}` {
		t.Errorf("%s: POST /stop: got %d %q, want 200 {\"msg\":\"Stopping server\"}", n.name, resp.status, resp.body)
	}
	select {
	case <-n.exited:
	case <-time.After(20 * time.Second):
		n.cmd.Process.Kill()
		<-n.exited
		t.Errorf("%s did not exit after POST /stop", n.name)
	}
	if code := n.cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("%s exited with code %d, want 0\n%s", n.name, code, n.logText())
	}
	if n.countLog("DATA RACE") > 0 || n.countLog("panic") > 0 {
		t.Errorf("%s reported a data race or panic:\n%s", n.name, n.logText())
	}
}

var client = &http.Client{Timeout: 30 * time.Second}

// reply 는 HTTP 답이다. 요청이 실패하면 status 가 0 이고 body 가 그 까닭이다.
type reply struct {
	status int
	header http.Header
	body   string
}

// request 는 HTTP 요청을 보내고 답을 돌려준다. 고루틴에서도 부를 수 있도록 테스트를 멈추지 않는다.
func request(t testing.TB, method, url, body string, headers map[string]string) reply {
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		return reply{body: err.Error()}
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		return reply{body: err.Error()}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return reply{body: err.Error()}
	}
	return reply{resp.StatusCode, resp.Header, string(b)}
}

// httpDo 는 HTTP 요청을 보내고 상태 코드와 몸체를 돌려준다. 요청이 실패하면 테스트를 멈춘다.
func httpDo(t testing.TB, method, url, body string) (int, string) {
	t.Helper()
	resp := request(t, method, url, body, nil)
	if resp.status == 0 {
		t.Fatalf("%s %s: %s", method, url, resp.body)
	}
	return resp.status, resp.body
}

// getRaw 는 GET 의 답을 바이트 그대로 돌려준다.
func (n *testNode) getRaw(path string) string {
	n.t.Helper()
	status, body := httpDo(n.t, "GET", n.http+path, "")
	if status != http.StatusOK {
		n.t.Fatalf("%s GET %s: got status %d, want 200: %s", n.name, path, status, body)
	}
	return body
}

// getJSON 은 GET 요청의 JSON 답을 v 로 푼다.
func (n *testNode) getJSON(path string, v any) {
	n.t.Helper()
	if err := json.Unmarshal([]byte(n.getRaw(path)), v); err != nil {
		n.t.Fatalf("%s GET %s: %v", n.name, path, err)
	}
}

func (n *testNode) blocks() []Block {
	n.t.Helper()
	var chain []Block
	n.getJSON("/blocks", &chain)
	if len(chain) == 0 {
		n.t.Fatalf("%s GET /blocks: got no blocks", n.name)
	}
	return chain
}

func (n *testNode) peers() []string {
	n.t.Helper()
	var peers []string
	n.getJSON("/peers", &peers)
	return peers
}

// mine 은 POST /mineBlock 으로 블록 하나를 생성한다.
func (n *testNode) mine(data ...string) Block {
	n.t.Helper()
	status, resp := httpDo(n.t, "POST", n.http+"/mineBlock", string(stringify(map[string][]string{"data": data})))
	if status != http.StatusOK {
		n.t.Fatalf("%s POST /mineBlock: got %d, want 200: %s", n.name, status, resp)
	}
	var b Block
	if err := json.Unmarshal([]byte(resp), &b); err != nil {
		n.t.Fatal(err)
	}
	return b
}

func (n *testNode) addPeers(peers ...string) {
	n.t.Helper()
	body := string(stringify(map[string][]string{"peers": peers}))
	if status, resp := httpDo(n.t, "POST", n.http+"/addPeers", body); status != http.StatusOK {
		n.t.Fatalf("%s POST /addPeers: got %d, want 200: %s", n.name, status, resp)
	}
}

// tip 은 노드의 마지막 블록 해시이다.
func (n *testNode) tip() string {
	n.t.Helper()
	chain := n.blocks()
	return hashOf(chain[len(chain)-1]).String()
}

// waitSameChain 은 모든 노드의 체인이 똑같아질 때까지 기다린다.
func waitSameChain(t testing.TB, nodes ...*testNode) []Block {
	t.Helper()
	var chain []Block
	waitFor(t, "nodes to hold the same chain", func() bool {
		chain = nodes[0].blocks()
		for _, n := range nodes[1:] {
			if !slices.EqualFunc(chain, n.blocks(), blockEqual) {
				return false
			}
		}
		return true
	})
	return chain
}

// dialWS 는 x/net/websocket 으로 노드에 연결한다 (Origin 을 보내는 보통 클라이언트).
func dialWS(t testing.TB, url string) *websocket.Conn {
	t.Helper()
	ws, err := websocket.Dial(url, "", "http://localhost/")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.Close() })
	return ws
}

// receive 는 메시지 하나를 읽는다.
func receiveMsg(t testing.TB, ws *websocket.Conn) Message {
	t.Helper()
	ws.SetReadDeadline(time.Now().Add(20 * time.Second))
	var data string
	if err := websocket.Message.Receive(ws, &data); err != nil {
		t.Fatalf("receive: %v", err)
	}
	var m Message
	if err := json.Unmarshal([]byte(data), &m); err != nil {
		t.Fatalf("receive: %v: %.100s", err, data)
	}
	return m
}

// receiveBlocks 는 RESPONSE_BLOCKCHAIN 이 올 때까지 읽고 그 블록들을 돌려준다 (질의 메시지는 건너뛴다).
func receiveBlocks(t testing.TB, ws *websocket.Conn) []Block {
	t.Helper()
	for {
		m := receiveMsg(t, ws)
		if m.Type != RESPONSE_BLOCKCHAIN {
			continue
		}
		blocks, err := blocksOf(string(stringify(m)))
		if err != nil {
			t.Fatal(err)
		}
		return blocks
	}
}

// send 는 텍스트 프레임 하나를 보낸다.
func send(t testing.TB, ws *websocket.Conn, text string) {
	t.Helper()
	if err := websocket.Message.Send(ws, text); err != nil {
		t.Fatal(err)
	}
}

// rawDial 은 npm ws 처럼 Origin 헤더 없이 웹소켓 핸드셰이크를 손으로 한다.
func rawDial(t testing.TB, p2pURL string) (net.Conn, *bufio.Reader) {
	t.Helper()
	host := strings.TrimPrefix(p2pURL, "ws://")
	conn, err := net.Dial("tcp", host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	fmt.Fprintf(conn, "GET / HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", host)
	r := bufio.NewReader(conn)
	status, err := r.ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(status, "HTTP/1.1 101") {
		t.Fatalf("handshake without Origin: got %q, want HTTP/1.1 101", status)
	}
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if line == "\r\n" {
			conn.SetDeadline(time.Time{})
			return conn, r
		}
	}
}

// readRawFrame 는 서버가 보낸 (가리지 않은) 프레임 하나를 읽는다.
func readRawFrame(r *bufio.Reader) (opcode byte, payload []byte, err error) {
	var hdr [2]byte
	if _, err = io.ReadFull(r, hdr[:]); err != nil {
		return
	}
	opcode = hdr[0] & 0x0f
	n := uint64(hdr[1] & 0x7f)
	switch n {
	case 126:
		var b [2]byte
		_, err = io.ReadFull(r, b[:])
		n = uint64(binary.BigEndian.Uint16(b[:]))
	case 127:
		var b [8]byte
		_, err = io.ReadFull(r, b[:])
		n = binary.BigEndian.Uint64(b[:])
	}
	if err != nil {
		return
	}
	payload = make([]byte, n)
	_, err = io.ReadFull(r, payload)
	return
}

// rawFrameHeader 는 클라이언트 프레임의 머리(FIN, opcode, 길이, 가림 키)를 만든다. 가림 키가 0 이라 내용은 그대로 보낸다.
func rawFrameHeader(opcode byte, length uint64) []byte {
	hdr := []byte{0x80 | opcode, 0x80 | 127}
	hdr = binary.BigEndian.AppendUint64(hdr, length)
	return append(hdr, 0, 0, 0, 0)
}

// writeRawFrame 은 텍스트 프레임 하나를 손으로 보낸다.
func writeRawFrame(t testing.TB, conn net.Conn, text string) {
	t.Helper()
	if _, err := conn.Write(append(rawFrameHeader(1, uint64(len(text))), text...)); err != nil {
		t.Fatal(err)
	}
}

// jsNodeDir 는 테스트가 띄우는 자바스크립트 노드의 자리이다: 챕터의 npm 버전으로 돌고, 챕터의 규칙대로 우리가 쓴 노드이다.
const jsNodeDir = "testdata/jsnode"

// requireJSNode 는 node 와 jsNodeDir 의 패키지가 있는지 보고 node 의 경로를 돌려준다.
// 없으면 건너뛴다. INTEROP=1 이면(CI) 건너뛰지 않고 실패한다.
func requireJSNode(t *testing.T) string {
	t.Helper()
	missing := func(what string) {
		t.Helper()
		if os.Getenv("INTEROP") == "1" {
			t.Fatalf("INTEROP=1 but %s (install Node.js, then: cd %s && npm ci)", what, jsNodeDir)
		}
		t.Skipf("skipping the JavaScript interop test: %s (install Node.js, then: cd %s && npm ci; INTEROP=1 makes this a failure)", what, jsNodeDir)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing("node is not on PATH")
	}
	for _, pkg := range []string{"ws", "crypto-js", "merkle", "express", "body-parser"} {
		if _, err := os.Stat(filepath.Join(jsNodeDir, "node_modules", pkg, "package.json")); err != nil {
			missing(fmt.Sprintf("%s/node_modules/%s is not installed", jsNodeDir, pkg))
		}
	}
	return node
}

// chainFrameOf 는 npm ws 처럼 Origin 없이 노드의 P2P 포트에 연결해, 노드가 먼저 보내는 QUERY_LATEST 를 확인하고,
// QUERY_ALL 을 보낸 뒤 돌아온 RESPONSE_BLOCKCHAIN 프레임의 텍스트를 바이트 그대로 돌려준다.
func chainFrameOf(t *testing.T, n *testNode) string {
	t.Helper()
	conn, r := rawDial(t, n.p2p)
	defer conn.Close()
	opcode, payload, err := readRawFrame(r)
	if err != nil {
		t.Fatalf("%s: first frame: %v", n.name, err)
	}
	if want := `{"type":0,"data":null}`; opcode != 1 || string(payload) != want {
		t.Errorf("%s: first frame: got opcode %d %q, want a text frame %s", n.name, opcode, payload, want)
	}
	query := `{"type":1,"data":null}`
	frame := append([]byte{0x81, 0x80 | byte(len(query)), 0, 0, 0, 0}, query...) // 가림 키 0: 내용은 그대로
	if _, err := conn.Write(frame); err != nil {
		t.Fatalf("%s: sending QUERY_ALL: %v", n.name, err)
	}
	for {
		opcode, payload, err := readRawFrame(r)
		if err != nil {
			t.Fatalf("%s: waiting for RESPONSE_BLOCKCHAIN: %v", n.name, err)
		}
		if opcode == 1 && strings.HasPrefix(string(payload), `{"type":2,`) {
			return string(payload)
		}
	}
}

// startJSNode 는 자바스크립트 노드를 진짜 프로세스로 띄운다. 포트는 0(빈 포트 아무거나)이고,
// 노드가 "Listening …" 줄에 남긴 진짜 포트를 startNode 처럼 읽는다. 멈출 때도 startNode 의 노드처럼 POST /stop 이다.
func startJSNode(t *testing.T, node, name string) *testNode {
	t.Helper()
	cmd := exec.Command(node, "main.js")
	cmd.Dir = jsNodeDir
	cmd.Env = append(os.Environ(), "HTTP_PORT=0", "P2P_PORT=0", "HOST=127.0.0.1")
	return startProcess(t, name, cmd)
}

// firstDiff 는 두 글이 처음 다른 곳과 그 둘레를 보여 준다 (긴 체인 JSON 을 비교할 때의 실패 메시지용).
func firstDiff(got, want string) string {
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	around := func(s string) string { return s[max(0, i-30):min(len(s), i+30)] }
	return fmt.Sprintf("first difference at byte %d (got %d bytes, want %d):\n  got  …%s…\n  want …%s…",
		i, len(got), len(want), around(got), around(want))
}
