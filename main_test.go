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
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/net/websocket"
)

// 챕터의 전역 변수(blockchain, sockets) 때문에 한 프로세스에는 노드가 하나뿐이다.
// 그래서 테스트는 이 테스트 프로세스 안의 노드(startLocalNode) 하나와,
// 같은 테스트 바이너리를 자식 프로세스로 띄운 노드들(startNode)을 함께 쓴다.
const childEnv = "BLOCKNODE_TEST_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		main() // 자식 프로세스: 진짜 노드로 돈다
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// ---------- 테스트 도우미 ----------

// h 는 s 의 SHA-256 을 대문자 16진수로 돌려준다. 기대값을 SPEC 의 규칙대로 따로 계산할 때 쓴다.
func h(s string) string {
	sum := sha256.Sum256([]byte(s))
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

// waitFor 는 cond 가 참이 될 때까지 기다리고, 시간 안에 안 되면 테스트를 멈춘다.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// resetChain 은 이 프로세스의 체인을 제네시스 블록 하나로 되돌린다.
func resetChain() { setBlockchain([]Block{getGenesisBlock()}) }

// makeChain 은 제네시스 위에 n 개의 블록을 올린 올바른 체인을 만든다 (전역 체인은 건드리지 않는다).
func makeChain(n int, tag string) []Block {
	chain := []Block{getGenesisBlock()}
	for i := 1; i <= n; i++ {
		prev := chain[len(chain)-1]
		data := []string{fmt.Sprintf("%s block %d", tag, i)}
		header := BlockHeader{nodeVersion, prev.Header.Index + 1, calculateHashForBlock(prev),
			1700000000 + int64(i), calculateMerkleRoot(data)}
		chain = append(chain, Block{header, data})
	}
	return chain
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
	mu      sync.Mutex // protects lines
	lines   []string   // 노드가 남긴 로그 줄
	partial []byte
}

// Write 는 이 프로세스 안의 노드의 로그를 받아 줄로 모은다 (log.SetOutput 용).
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

// closeAllSockets 는 이 프로세스 노드의 모든 소켓을 닫고 다 빠질 때까지 기다린다.
func closeAllSockets(t testing.TB) {
	t.Helper()
	for _, ws := range getSockets() {
		closeSocket(ws, errors.New("closed by the test"))
	}
	waitFor(t, "all sockets to close", func() bool { return len(getSockets()) == 0 })
}

// newTestSocket 은 연결 없이 outbox 만 있는 소켓이다: handleMessage 를 바로 부를 때 쓴다 (답은 outbox 에 쌓인다).
func newTestSocket(addr string) *socket {
	return &socket{addr: addr, outbox: make(chan []byte, maxQueued), closed: make(chan struct{})}
}

var localNodeMu sync.Mutex // 이 프로세스 안의 노드는 한 번에 하나만

// startLocalNode 는 이 테스트 프로세스 안에서 노드를 연다 (127.0.0.1 의 빈 포트 둘).
func startLocalNode(t testing.TB) *testNode {
	t.Helper()
	localNodeMu.Lock()
	resetChain()
	n := &testNode{t: t, name: "local node"}
	log.SetOutput(n)
	httpSrv, err := initHttpServer("127.0.0.1", "0")
	if err != nil {
		t.Fatal(err)
	}
	p2pSrv, err := initP2PServer("127.0.0.1", "0")
	if err != nil {
		t.Fatal(err)
	}
	n.http, n.p2p = "http://"+httpSrv.Addr, "ws://"+p2pSrv.Addr
	t.Cleanup(func() {
		httpSrv.Close()
		p2pSrv.Close()
		closeAllSockets(t)
		log.SetOutput(os.Stderr)
		resetChain()
		localNodeMu.Unlock()
	})
	return n
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
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	n := &testNode{t: t, name: name, cmd: cmd, exited: make(chan struct{})}
	go func() {
		r := bufio.NewReader(stderr)
		for {
			line, err := r.ReadString('\n')
			if line != "" {
				n.Write([]byte(line))
			}
			if err != nil {
				break
			}
		}
		cmd.Wait()
		close(n.exited)
	}()
	httpPort := n.waitPort("Listening http port on: ")
	p2pPort := n.waitPort("Listening websocket p2p port on: ")
	n.http, n.p2p = "http://127.0.0.1:"+httpPort, "ws://127.0.0.1:"+p2pPort
	t.Cleanup(func() { n.stop() })
	return n
}

// waitPort 는 자식 노드가 로그에 남긴 포트 번호를 읽는다.
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

// stop 은 자식 노드에 POST /stop 을 보내고 끝나기를 기다린다.
func (n *testNode) stop() {
	t := n.t
	t.Helper()
	if n.stopped {
		return
	}
	n.stopped = true
	status, body := httpDo(t, "POST", n.http+"/stop", "")
	if status != http.StatusOK || body != `{"msg":"Stopping server"}`+"\n" {
		t.Errorf("%s: POST /stop: got %d %q, want 200 {\"msg\":\"Stopping server\"}", n.name, status, body)
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

// httpDo 는 HTTP 요청을 보내고 상태 코드와 몸체를 돌려준다.
func httpDo(t testing.TB, method, url, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// getJSON 은 GET 요청의 JSON 답을 v 로 푼다.
func (n *testNode) getJSON(path string, v any) {
	n.t.Helper()
	status, body := httpDo(n.t, "GET", n.http+path, "")
	if status != http.StatusOK {
		n.t.Fatalf("%s GET %s: got status %d, want 200: %s", n.name, path, status, body)
	}
	if err := json.Unmarshal([]byte(body), v); err != nil {
		n.t.Fatalf("%s GET %s: %v: %s", n.name, path, err, body)
	}
}

func (n *testNode) blocks() []Block {
	n.t.Helper()
	var chain []Block
	n.getJSON("/blocks", &chain)
	return chain
}

func (n *testNode) peers() []string {
	n.t.Helper()
	var peers []string
	n.getJSON("/peers", &peers)
	return peers
}

// mine 은 POST /mineBlock 으로 블록 하나를 캔다.
func (n *testNode) mine(data ...string) Block {
	n.t.Helper()
	body, _ := json.Marshal(map[string][]string{"data": data})
	status, resp := httpDo(n.t, "POST", n.http+"/mineBlock", string(body))
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
	body, _ := json.Marshal(map[string][]string{"peers": peers})
	if status, resp := httpDo(n.t, "POST", n.http+"/addPeers", string(body)); status != http.StatusOK {
		n.t.Fatalf("%s POST /addPeers: got %d, want 200: %s", n.name, status, resp)
	}
}

// tip 은 노드의 마지막 블록 해시이다.
func (n *testNode) tip() string {
	chain := n.blocks()
	return calculateHashForBlock(chain[len(chain)-1])
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

func blockEqual(a, b Block) bool { return a.Header == b.Header && slices.Equal(a.Data, b.Data) }

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
func receive(t testing.TB, ws *websocket.Conn) Message {
	t.Helper()
	ws.SetReadDeadline(time.Now().Add(20 * time.Second))
	var data string
	if err := websocket.Message.Receive(ws, &data); err != nil {
		t.Fatalf("receive: %v", err)
	}
	var m Message
	if err := json.Unmarshal([]byte(data), &m); err != nil {
		t.Fatalf("receive: %v: %s", err, data)
	}
	return m
}

// receiveBlocks 는 RESPONSE_BLOCKCHAIN 이 올 때까지 읽고 그 블록들을 돌려준다 (질의 메시지는 건너뛴다).
func receiveBlocks(t testing.TB, ws *websocket.Conn) []Block {
	t.Helper()
	for {
		m := receive(t, ws)
		if m.Type != RESPONSE_BLOCKCHAIN {
			continue
		}
		var blocks []Block
		if err := json.Unmarshal([]byte(*m.Data), &blocks); err != nil {
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

// rawFrameHeader 는 클라이언트 프레임의 머리(FIN, opcode, 길이, 가림 키)를 만든다.
func rawFrameHeader(opcode byte, length uint64) []byte {
	hdr := []byte{0x80 | opcode, 0x80 | 127}
	hdr = binary.BigEndian.AppendUint64(hdr, length)
	return append(hdr, 0, 0, 0, 0) // 가림 키 0: 내용은 그대로
}

// ---------- 챕터 1: 해시와 머클 루트 ----------

func TestGenesisBlock(t *testing.T) {
	g := getGenesisBlock()
	const wantMerkle = "A6D72BAA3DB900B03E70DF880E503E9164013B4D9A470853EDC115776323A098"
	const wantHash = "C8CD3F1A0BCF8EE28A559D2DE7A4A871E684BFAFEEAAF996C8FCFA5B247B6129"
	if g.Header.MerkleRoot != wantMerkle {
		t.Errorf("genesis merkleRoot: got %s, want %s", g.Header.MerkleRoot, wantMerkle)
	}
	if got := calculateHashForBlock(g); got != wantHash {
		t.Errorf("genesis hash: got %s, want %s", got, wantHash)
	}
	// 자바스크립트 노드는 제네시스를 JSON.stringify 로 비교하므로 키 순서까지 같아야 한다.
	want := `{"header":{"version":"1.0.0","index":0,"previousHash":"` + zeroHash +
		`","timestamp":1231006505,"merkleRoot":"` + wantMerkle +
		`"},"data":["The Times 03/Jan/2009 Chancellor on brink of second bailout for banks"]}`
	got, _ := json.Marshal(g)
	if string(got) != want {
		t.Errorf("genesis JSON:\n got %s\nwant %s", got, want)
	}
}

func TestCalculateHash(t *testing.T) {
	got := calculateHash("1.0.0", 7, strings.Repeat("A", 64), 1700000000, strings.Repeat("B", 64))
	want := h("1.0.0" + "7" + strings.Repeat("A", 64) + "1700000000" + strings.Repeat("B", 64))
	if got != want {
		t.Errorf("calculateHash: got %s, want %s", got, want)
	}
}

func TestMerkleRoot(t *testing.T) {
	a, b, c, d, e := h("a"), h("b"), h("c"), h("d"), h("e")
	hashLeaf := "C8CD3F1A0BCF8EE28A559D2DE7A4A871E684BFAFEEAAF996C8FCFA5B247B6129"
	tests := []struct {
		name string
		data []string
		want string // SPEC 의 규칙대로 이 테스트에서 따로 계산한 값
		npm  string // npm merkle 0.6.0 의 merkle("sha256").sync(data).root() 가 낸 값 (node 20 에서 돌려 얻음)
	}{
		{"no data", []string{}, zeroHash, zeroHash},
		{"1 leaf", []string{"a"}, a, "CA978112CA1BBDCAFAC231B39A23DC4DA786EFF8147C4E72B9807785AFEE48BB"},
		{"2 leaves", []string{"a", "b"}, h(a + b), "6A20F2EE7789E6BB7F404CC2DD729FF308B724D904F6A455B74D4851ADE5AECB"},
		{"3 leaves: odd one moves up", []string{"a", "b", "c"}, h(h(a+b) + c), "FF36C95E778FE3AE472A287AD85D8F8B15EC0499B3DC08E9027A098CE3EB49BB"},
		{"5 leaves", []string{"a", "b", "c", "d", "e"}, h(h(h(a+b)+h(c+d)) + e), "16E6BEB3E080910740A2923D6091618CAA9968AEAD8A52D187D725D199548E2C"},
		{"uppercase hash leaf is kept", []string{hashLeaf}, hashLeaf, hashLeaf},
		{"lowercase hash leaf is hashed", []string{strings.ToLower(hashLeaf)}, h(strings.ToLower(hashLeaf)), "AD7AC983619B5E334038BD7FDDC65676E161E38B2AD70D13285716EAE9F926B3"},
		{"empty string is hashed", []string{""}, h(""), "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"},
		{"Korean text as UTF-8", []string{"안녕하세요 블록체인"}, h("안녕하세요 블록체인"), "B7DCAD9002606502C7D0DA8BE65C1F01EC521D44127FCCBFAE4CF956C1AB9CCF"},
	}
	for _, tt := range tests {
		got := calculateMerkleRoot(tt.data)
		if got != tt.want || got != tt.npm {
			t.Errorf("%s: got %s, want %s (npm merkle: %s)", tt.name, got, tt.want, tt.npm)
		}
	}
	// 9개 이상이면 스택의 작은 배열 대신 새 슬라이스를 쓴다: 같은 규칙이 그대로 맞아야 한다.
	var nine []string
	for i := range 9 {
		nine = append(nine, strconv.Itoa(i))
	}
	l := make([]string, 9)
	for i, s := range nine {
		l[i] = h(s)
	}
	left := h(h(l[0]+l[1]) + h(l[2]+l[3]))
	right := h(h(l[4]+l[5]) + h(l[6]+l[7]))
	want := h(h(left+right) + l[8]) // 아홉째 잎은 세 층을 그대로 올라간다
	if got := calculateMerkleRoot(nine); got != want {
		t.Errorf("9 leaves: got %s, want %s", got, want)
	}
}

// ---------- 챕터 1: 검증 ----------

func TestIsValidNewBlock(t *testing.T) {
	genesis := getGenesisBlock()
	valid := makeChain(1, "v")[1]
	tests := []struct {
		name   string
		change func(b *Block)
		want   bool
	}{
		{"valid block", func(b *Block) {}, true},
		{"empty data with zero merkle root", func(b *Block) { b.Data = []string{}; b.Header.MerkleRoot = zeroHash }, true},
		{"index is not previous+1", func(b *Block) { b.Header.Index = 2 }, false},
		{"previousHash is not the previous block's hash", func(b *Block) { b.Header.PreviousHash = h("other") }, false},
		{"merkleRoot does not match data", func(b *Block) { b.Data = []string{"changed"} }, false},
		{"empty data with a non-zero merkle root", func(b *Block) { b.Data = []string{} }, false},
		{"data null or missing", func(b *Block) { b.Data = nil; b.Header.MerkleRoot = zeroHash }, false},
		{"version empty or missing", func(b *Block) { b.Header.Version = "" }, false},
		{"timestamp missing (0)", func(b *Block) { b.Header.Timestamp = 0 }, false},
		{"timestamp above 2^53-1", func(b *Block) { b.Header.Timestamp = maxSafeInteger + 1 }, false},
		{"lowercase previousHash", func(b *Block) { b.Header.PreviousHash = strings.ToLower(b.Header.PreviousHash) }, false},
		{"short merkleRoot", func(b *Block) { b.Header.MerkleRoot = b.Header.MerkleRoot[:63] }, false},
	}
	for _, tt := range tests {
		b := valid
		b.Data = slices.Clone(valid.Data)
		tt.change(&b)
		if got := isValidNewBlock(b, genesis); got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
	// index 가 2^53-1 을 넘는 블록: 바로 앞 블록이 있어도 구조에서 거절된다.
	prev := valid
	prev.Header.Index = maxSafeInteger
	next := Block{BlockHeader{nodeVersion, maxSafeInteger + 1, calculateHashForBlock(prev), 1700000000, zeroHash}, []string{}}
	if isValidNewBlock(next, prev) {
		t.Errorf("index above 2^53-1: got true, want false")
	}
}

func TestIsValidChain(t *testing.T) {
	foreign := makeChain(2, "f")
	foreign[0].Header.Timestamp++ // 다른 제네시스
	brokenLink := makeChain(3, "b")
	brokenLink[2].Header.PreviousHash = h("x")
	badMerkle := makeChain(3, "m")
	badMerkle[2].Data = []string{"tampered"}
	genesisData := makeChain(1, "g")
	genesisData[0].Data = []string{"other genesis text"}
	chain := makeChain(3, "c")
	tests := []struct {
		name  string
		chain []Block
		want  bool
	}{
		{"genesis only", []Block{getGenesisBlock()}, true},
		{"three blocks on genesis", makeChain(3, "ok"), true},
		{"empty chain", []Block{}, false},
		{"foreign genesis", foreign, false},
		{"genesis with other data", genesisData, false},
		{"broken link", brokenLink, false},
		{"wrong merkle root", badMerkle, false},
		{"a block repeated", append(slices.Clone(chain), chain[3]), false},
		{"a block missing", []Block{chain[0], chain[1], chain[3]}, false},
	}
	for _, tt := range tests {
		if got := isValidChain(tt.chain); got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestAddBlockAndReplaceChain(t *testing.T) {
	resetChain()
	t.Cleanup(resetChain)
	blockchainMu.Lock()
	defer blockchainMu.Unlock()
	chain := makeChain(3, "r")
	if !addBlock(chain[1]) || addBlock(chain[1]) || addBlock(chain[3]) {
		t.Fatalf("addBlock: want true once for block 1, then false for a repeat and for a gap")
	}
	replaceChain(makeChain(1, "short")) // 같은 길이: 바꾸지 않는다
	if got := getBlockchain(); len(got) != 2 || !blockEqual(got[1], chain[1]) {
		t.Fatalf("replaceChain with a chain of the same length changed the chain")
	}
	replaceChain(chain)
	if got := getBlockchain(); !slices.EqualFunc(got, chain, blockEqual) {
		t.Fatalf("replaceChain with a longer valid chain: got %d blocks, want %d", len(got), len(chain))
	}
}

// ---------- 챕터 2: 메시지 ----------

func TestMessages(t *testing.T) {
	resetChain()
	t.Cleanup(resetChain)
	chain := makeChain(2, "msg")
	setBlockchain(chain)
	for _, tt := range []struct {
		name string
		msg  Message
		want string
	}{
		{"queryAllMsg", queryAllMsg(), `{"type":1,"data":null}`},
		{"queryChainLengthMsg", queryChainLengthMsg(), `{"type":0,"data":null}`},
	} {
		got, _ := json.Marshal(tt.msg)
		if string(got) != tt.want {
			t.Errorf("%s: got %s, want %s", tt.name, got, tt.want)
		}
	}
	// 응답의 data 는 블록 배열을 담은 JSON 문자열이다 (체인이 두 번 인코딩된다).
	latestJSON, _ := json.Marshal([]Block{chain[2]})
	chainJSON, _ := json.Marshal(chain)
	for _, tt := range []struct {
		name string
		msg  Message
		want string
	}{
		{"responseLatestMsg", responseLatestMsg(), string(latestJSON)},
		{"responseChainMsg (the chain itself, not [chain])", responseChainMsg(), string(chainJSON)},
	} {
		wire, _ := json.Marshal(tt.msg)
		quoted, _ := json.Marshal(tt.want)
		want := `{"type":2,"data":` + string(quoted) + `}`
		if string(wire) != want {
			t.Errorf("%s:\n got %s\nwant %s", tt.name, wire, want)
		}
	}
}

func TestMineBlock(t *testing.T) {
	resetChain()
	t.Cleanup(resetChain)
	b := mineBlock([]string{})
	if b == nil {
		t.Fatal("mineBlock([]): got nil, want a block")
	}
	got, _ := json.Marshal(b)
	if !strings.HasSuffix(string(got), `"data":[]}`) {
		t.Errorf("block mined with no data: got %s, want \"data\":[]", got)
	}
	if b.Header.Index != 1 || b.Header.PreviousHash != calculateHashForBlock(getGenesisBlock()) ||
		b.Header.Version != nodeVersion || b.Header.MerkleRoot != zeroHash {
		t.Errorf("mined block header: got %+v", b.Header)
	}
	// data 가 null 인 블록은 만들지 않는다: HTTP 가 빠진 data 를 [] 로 바꾸고, 그래도 nil 이 오면 검증이 거절한다.
	if b := mineBlock(nil); b != nil {
		t.Errorf("mineBlock(nil): got a block %+v, want nil", b)
	}
	if got := len(getBlockchain()); got != 2 {
		t.Errorf("chain: got %d blocks, want 2", got)
	}
}

func TestInitialPeers(t *testing.T) {
	for _, tt := range []struct {
		flag string
		want []string
	}{
		{"", nil},
		{"ws://127.0.0.1:6001", []string{"ws://127.0.0.1:6001"}},
		{"ws://127.0.0.1:6001, ws://127.0.0.1:6002,", []string{"ws://127.0.0.1:6001", "ws://127.0.0.1:6002"}},
		{" , ", nil},
	} {
		if got := initialPeers(tt.flag); !slices.Equal(got, tt.want) {
			t.Errorf("initialPeers(%q): got %q, want %q", tt.flag, got, tt.want)
		}
	}
}

// ---------- 여러 노드: 진짜 HTTP 와 웹소켓 ----------

func TestBlockMinedOnAReachesB(t *testing.T) {
	a := startNode(t, "A")
	b := startNode(t, "B", a.p2p)
	waitFor(t, "A to see B", func() bool { return len(a.peers()) == 1 })
	mined := a.mine("from A", "안녕")
	chain := waitSameChain(t, a, b)
	if len(chain) != 2 || !blockEqual(chain[1], mined) {
		t.Fatalf("B's chain: got %d blocks, want genesis and the mined block", len(chain))
	}
	if got, want := b.tip(), calculateHashForBlock(mined); got != want {
		t.Errorf("B's tip hash: got %s, want %s", got, want)
	}
	b.waitLog("We can append the received block to our chain")
}

func TestNodeBehindOnAnotherForkCatchesUp(t *testing.T) {
	a := startNode(t, "A")
	b := startNode(t, "B")
	for i := range 5 {
		a.mine(fmt.Sprintf("A %d", i))
	}
	b.mine("B 0")
	b.mine("B 1")
	want := a.blocks()
	b.addPeers(a.p2p)
	got := waitSameChain(t, a, b)
	if !slices.EqualFunc(got, want, blockEqual) {
		t.Errorf("after catching up: got %d blocks, want A's %d blocks", len(got), len(want))
	}
	b.waitLog("We have to query the chain from our peer")
	b.waitLog("Received blockchain is valid. Replacing current blockchain with received blockchain")
}

func TestLineOfFourNodesRelaysEndToEnd(t *testing.T) {
	a := startNode(t, "A")
	b := startNode(t, "B", a.p2p)
	c := startNode(t, "C", b.p2p)
	d := startNode(t, "D", c.p2p)
	waitFor(t, "the line A-B-C-D to connect", func() bool {
		return len(a.peers()) == 1 && len(b.peers()) == 2 && len(c.peers()) == 2 && len(d.peers()) == 1
	})
	fromA := a.mine("from A")
	waitFor(t, "D to receive A's block", func() bool { return d.tip() == calculateHashForBlock(fromA) })
	fromD := d.mine("from D")
	waitFor(t, "A to receive D's block", func() bool { return a.tip() == calculateHashForBlock(fromD) })
	if chain := waitSameChain(t, a, b, c, d); len(chain) != 3 {
		t.Errorf("chain length: got %d, want 3", len(chain))
	}
}

func TestPeerWithoutOriginIsAcceptedAndQueried(t *testing.T) {
	a := startNode(t, "A")
	_, r := rawDial(t, a.p2p)
	opcode, payload, err := readRawFrame(r)
	if err != nil {
		t.Fatal(err)
	}
	if opcode != 1 || string(payload) != `{"type":0,"data":null}` {
		t.Errorf("first frame: got opcode %d %q, want a text frame {\"type\":0,\"data\":null}", opcode, payload)
	}
	if got := len(a.peers()); got != 1 {
		t.Errorf("A's peers: got %d, want 1", got)
	}
}

func TestPeersListsConnectedAndDropsClosed(t *testing.T) {
	a := startNode(t, "A")
	b := startNode(t, "B", a.p2p)
	waitFor(t, "A to list B", func() bool { return len(a.peers()) == 1 })
	if got, want := b.peers(), []string{strings.TrimPrefix(a.p2p, "ws://")}; !slices.Equal(got, want) {
		t.Errorf("B's peers: got %v, want %v", got, want)
	}
	if got := a.peers()[0]; !strings.HasPrefix(got, "127.0.0.1:") {
		t.Errorf("A's peer: got %q, want 127.0.0.1:port", got)
	}
	b.stop()
	waitFor(t, "A to drop B", func() bool { return len(a.peers()) == 0 })
	a.waitLog("Connection failed to peer: 127.0.0.1:")
}

// ---------- 나쁜 입력: 노드는 죽지 않고, 체인은 그대로이다 ----------

// blockJSON 은 블록 하나를 JSON 으로 만든다 (나쁜 입력을 만들 때 쓴다).
func blockJSON(b Block) string {
	out, _ := json.Marshal(b)
	return string(out)
}

// response 는 blocks 를 담은 RESPONSE_BLOCKCHAIN 메시지(data 는 JSON 문자열)를 만든다.
func response(blocks string) string {
	quoted, _ := json.Marshal(blocks)
	return `{"type":2,"data":` + string(quoted) + `}`
}

// badFrames 는 피어가 보낼 수 있는 나쁜 메시지들과 노드가 남겨야 할 로그이다. 퍼즈 테스트의 씨앗으로도 쓴다.
func badFrames() []struct{ name, frame, wantLog string } {
	chain := makeChain(2, "bad")
	next := chain[1] // 제네시스 바로 다음 블록의 꼴
	withHeader := func(field, value string) string {
		var m map[string]any
		json.Unmarshal([]byte(blockJSON(next)), &m)
		m["header"].(map[string]any)[field] = json.RawMessage(value)
		out, _ := json.Marshal([]any{m})
		return response(string(out))
	}
	foreign := makeChain(2, "foreign")
	foreign[0].Data = []string{"another genesis"}
	broken := makeChain(3, "broken")
	broken[2].Header.PreviousHash = h("nothing")
	wrongMerkle := next
	wrongMerkle.Data = []string{"not what the root says"}
	deep := strings.Repeat("[", 100000) + strings.Repeat("]", 100000)
	chainJSON := func(blocks ...Block) string { return *blocksJSON(blocks) }
	return []struct{ name, frame, wantLog string }{
		{"not JSON", `hello`, "Ignored message"},
		{"JSON array, not an object", `[1,2]`, "Ignored message"},
		{"JSON string, not an object", `"QUERY_ALL"`, "Ignored message"},
		{"JSON null", `null`, "unknown type -1"},
		{"unknown type", `{"type":7,"data":null}`, "unknown type 7"},
		{"type missing", `{"data":null}`, "unknown type -1"},
		{"type as a string", `{"type":"0","data":null}`, "Ignored message"},
		{"type not an integer", `{"type":0.5,"data":null}`, "Ignored message"},
		{"data missing", `{"type":2}`, "data is not a string"},
		{"data null", `{"type":2,"data":null}`, "data is not a string"},
		{"data a number", `{"type":2,"data":5}`, "Ignored message"},
		{"data an array, not a string", `{"type":2,"data":[` + blockJSON(next) + `]}`, "Ignored message"},
		{"data a string that is not JSON", response(`hello`), "Ignored RESPONSE_BLOCKCHAIN"},
		{"data a JSON object, not an array", response(`{}`), "Ignored RESPONSE_BLOCKCHAIN"},
		{"data an empty array", response(`[]`), "no blocks"},
		{"data JSON null", response(`null`), "no blocks"},
		{"block without a header", response(`[{"data":[]}]`), "invalid block structure"},
		{"block that is a number", response(`[1]`), "Ignored RESPONSE_BLOCKCHAIN"},
		{"index as a string", withHeader("index", `"1"`), "Ignored RESPONSE_BLOCKCHAIN"},
		{"index not an integer", withHeader("index", `1.5`), "Ignored RESPONSE_BLOCKCHAIN"},
		{"index beyond int64", withHeader("index", `1e30`), "Ignored RESPONSE_BLOCKCHAIN"},
		{"index above 2^53-1", withHeader("index", `9007199254740992`), "invalid block structure"},
		{"index negative", withHeader("index", `-1`), "invalid block structure"},
		{"timestamp not an integer", withHeader("timestamp", `1.5`), "Ignored RESPONSE_BLOCKCHAIN"},
		{"timestamp as a string", withHeader("timestamp", `"now"`), "Ignored RESPONSE_BLOCKCHAIN"},
		{"timestamp negative", withHeader("timestamp", `-5`), "invalid block structure"},
		{"version a number", withHeader("version", `1`), "Ignored RESPONSE_BLOCKCHAIN"},
		{"previousHash lowercase", withHeader("previousHash", `"`+strings.ToLower(next.Header.PreviousHash)+`"`), "invalid block structure"},
		{"data null in a block", response(strings.Replace(chainJSON(next), `"data":["bad block 1"]`, `"data":null`, 1)), "invalid block structure"},
		{"data not an array", response(strings.Replace(chainJSON(next), `"data":["bad block 1"]`, `"data":"x"`, 1)), "Ignored RESPONSE_BLOCKCHAIN"},
		{"data of numbers", response(strings.Replace(chainJSON(next), `"data":["bad block 1"]`, `"data":[1,2]`, 1)), "Ignored RESPONSE_BLOCKCHAIN"},
		{"next block with a wrong merkle root", response(chainJSON(wrongMerkle)), "Invalid merkleRoot"},
		{"chain on a foreign genesis", response(chainJSON(foreign...)), "Received blockchain invalid"},
		{"chain with a broken link", response(chainJSON(broken...)), "Received blockchain invalid"},
		{"deeply nested JSON", deep, "Ignored message"},
		{"deeply nested JSON inside data", response(deep), "Ignored RESPONSE_BLOCKCHAIN"},
	}
}

func TestBadPeerFramesAreLoggedAndIgnored(t *testing.T) {
	n := startLocalNode(t)
	ws := dialWS(t, n.p2p)
	if m := receive(t, ws); m.Type != QUERY_LATEST {
		t.Fatalf("first message: got type %d, want QUERY_LATEST", m.Type)
	}
	genesis := getGenesisBlock()
	for _, tt := range badFrames() {
		before := n.countLog(tt.wantLog)
		send(t, ws, tt.frame)
		// 같은 연결이 아직 쓸 만하고, 체인은 제네시스 그대로여야 한다.
		send(t, ws, `{"type":0,"data":null}`)
		if got := receiveBlocks(t, ws); len(got) != 1 || !blockEqual(got[0], genesis) {
			t.Errorf("%s: after the frame the latest block is %+v, want the genesis block", tt.name, got)
		}
		if n.countLog(tt.wantLog) <= before {
			t.Errorf("%s: got no log line with %q; log:\n%s", tt.name, tt.wantLog, n.logText())
		}
		if got := getBlockchain(); len(got) != 1 {
			t.Errorf("%s: chain length %d, want 1", tt.name, len(got))
		}
	}
	// 바이너리 프레임도 무시하고 연결은 그대로 쓴다.
	if err := websocket.Message.Send(ws, []byte(`{"type":0,"data":null}`)); err != nil {
		t.Fatal(err)
	}
	send(t, ws, `{"type":0,"data":null}`)
	receiveBlocks(t, ws)
	n.waitLog("binary frame")
	if got := len(getSockets()); got != 1 {
		t.Errorf("sockets after bad frames: got %d, want 1 (the connection stays usable)", got)
	}
}

func TestFrameAboveLimitClosesOnlyThatConnection(t *testing.T) {
	n := startLocalNode(t)
	good := dialWS(t, n.p2p)
	receive(t, good)
	conn, r := rawDial(t, n.p2p)
	waitFor(t, "two sockets", func() bool { return len(getSockets()) == 2 })
	// 머리만 보내도 된다: 노드는 길이를 보고 내용을 읽기 전에 끊는다.
	conn.Write(rawFrameHeader(1, maxFrameBytes+1))
	for {
		if _, _, err := readRawFrame(r); err != nil {
			break // 연결이 닫혔다
		}
	}
	waitFor(t, "the big-frame socket to leave", func() bool { return len(getSockets()) == 1 })
	n.waitLog(fmt.Sprintf("frame larger than %d bytes", maxFrameBytes))
	send(t, good, `{"type":0,"data":null}`)
	if got := receiveBlocks(t, good); len(got) != 1 {
		t.Errorf("the other connection: got %d blocks, want 1", len(got))
	}
}

// 블록 10만 개짜리 체인(블록마다 데이터 하나)의 RESPONSE_BLOCKCHAIN 이 프레임 한계 안에 드는지 본다.
func TestFrameLimitFitsAChainOf100000Blocks(t *testing.T) {
	chain := makeChain(100000, "fit")
	frame, err := json.Marshal(Message{Type: RESPONSE_BLOCKCHAIN, Data: blocksJSON(chain)})
	if err != nil {
		t.Fatal(err)
	}
	if len(frame) > maxFrameBytes {
		t.Errorf("a 100,000-block chain is %d bytes, above the %d-byte frame limit", len(frame), maxFrameBytes)
	}
	t.Logf("a 100,000-block chain is %.1f MiB on the wire (limit %d MiB)", float64(len(frame))/(1<<20), maxFrameBytes>>20)
}

func TestBadHTTPInputIsRefused(t *testing.T) {
	n := startLocalNode(t)
	big := `{"data":["` + strings.Repeat("x", maxBodyBytes) + `"]}`
	tests := []struct {
		method, path, body string
		want               int
	}{
		{"POST", "/mineBlock", `{`, 400},
		{"POST", "/mineBlock", `{"data":"abc"}`, 400},
		{"POST", "/mineBlock", `{"data":[1,2]}`, 400},
		{"POST", "/mineBlock", `{"data":[["nested"]]}`, 400},
		{"POST", "/mineBlock", `[]`, 400},
		{"POST", "/mineBlock", `"data"`, 400},
		{"POST", "/mineBlock", `{"data":[]} trailing`, 400},
		{"POST", "/mineBlock", big, 413},
		{"POST", "/addPeers", `{"peers":"ws://127.0.0.1:1"}`, 400},
		{"POST", "/addPeers", `{"peers":[1]}`, 400},
		{"POST", "/addpeers", `nope`, 400},
		{"POST", "/addPeers", big, 413},
	}
	for _, tt := range tests {
		status, body := httpDo(t, tt.method, n.http+tt.path, tt.body)
		var e struct{ Error string }
		if status != tt.want || json.Unmarshal([]byte(body), &e) != nil || e.Error == "" || strings.Count(body, "\n") != 1 {
			t.Errorf("%s %s %.30q: got %d %q, want %d and one line {\"error\":…}", tt.method, tt.path, tt.body, status, body, tt.want)
		}
	}
	for _, tt := range []struct {
		method, path string
		want         int
	}{
		{"GET", "/nothing", 404},
		{"GET", "/mineBlock", 405},
		{"DELETE", "/blocks", 405},
		{"GET", "/stop", 405},
	} {
		if status, _ := httpDo(t, tt.method, n.http+tt.path, ""); status != tt.want {
			t.Errorf("%s %s: got %d, want %d", tt.method, tt.path, status, tt.want)
		}
	}
	if got := len(getBlockchain()); got != 1 {
		t.Errorf("chain after bad requests: got %d blocks, want 1", got)
	}
	// curl -d 처럼 Content-Type 없이(form 으로) 보낸 JSON 몸체도 읽는다.
	resp, err := client.Post(n.http+"/mineBlock", "application/x-www-form-urlencoded", strings.NewReader(`{"data":["no header"]}`))
	if err != nil {
		t.Fatal(err)
	}
	var formBlock Block
	json.NewDecoder(resp.Body).Decode(&formBlock)
	resp.Body.Close()
	if resp.StatusCode != 200 || !slices.Equal(formBlock.Data, []string{"no header"}) {
		t.Errorf("POST /mineBlock without a JSON Content-Type: got %d %v, want 200 and data [no header]", resp.StatusCode, formBlock.Data)
	}
	resetChain()
	// 몸체가 없거나 data 가 없거나 null 이면 빈 블록을 캔다 (챕터의 req.body.data || []).
	for i, body := range []string{``, `{}`, `{"data":null}`} {
		status, resp := httpDo(t, "POST", n.http+"/mineBlock", body)
		if status != 200 || !strings.Contains(resp, `"index":`+strconv.Itoa(i+1)+`,`) || !strings.HasSuffix(resp, `"data":[]}`+"\n") {
			t.Errorf("POST /mineBlock %q: got %d %s, want block %d with \"data\":[]", body, status, resp, i+1)
		}
	}
}

func TestAddPeersSkipsBadSelfAndDuplicatePeers(t *testing.T) {
	n := startLocalNode(t)
	other := startNode(t, "other")
	ownPort := strings.TrimPrefix(n.p2p, "ws://127.0.0.1:")
	otherPort := strings.TrimPrefix(other.p2p, "ws://127.0.0.1:")
	n.addPeers(other.p2p)
	waitFor(t, "the first connection", func() bool { return len(n.peers()) == 1 })
	n.addPeers("not a url", "http://127.0.0.1:1", "ws://", "ws://127.0.0.1:1",
		n.p2p, "ws://localhost:"+ownPort, other.p2p, "ws://localhost:"+otherPort)
	n.waitLog("connection failed: not a url")
	n.waitLog("connection failed: http://127.0.0.1:1: want an address like ws://host:port")
	n.waitLog("connection failed: ws://: want an address like ws://host:port")
	n.waitLog("connection failed: ws://127.0.0.1:1: dial tcp 127.0.0.1:1: connect: connection refused")
	waitFor(t, "both self addresses to be skipped", func() bool { return n.countLog("that address is this node") == 2 })
	waitFor(t, "both duplicates to be skipped", func() bool { return n.countLog("already connected to that peer") == 2 })
	if got := n.peers(); !slices.Equal(got, []string{"127.0.0.1:" + otherPort}) {
		t.Errorf("peers: got %v, want only the other node", got)
	}
	if got := len(other.peers()); got != 1 {
		t.Errorf("the other node's peers: got %d, want 1", got)
	}
}

// ---------- 동시성 ----------

func TestConcurrentMiningLosesNothingAndBroadcastsInOrder(t *testing.T) {
	n := startLocalNode(t)
	peer := startNode(t, "peer", n.p2p)
	watcher := dialWS(t, n.p2p)
	receive(t, watcher) // QUERY_LATEST
	waitFor(t, "both peers", func() bool { return len(getSockets()) == 2 })

	const requests = 300
	mined := make([]Block, requests)
	var wg sync.WaitGroup
	for i := range requests {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := fmt.Sprintf(`{"data":["request %d"]}`, i)
			status, resp := httpDo(t, "POST", n.http+"/mineBlock", body)
			if status != 200 {
				t.Errorf("request %d: got %d %s, want 200", i, status, resp)
				return
			}
			json.Unmarshal([]byte(resp), &mined[i])
		}()
	}
	wg.Wait()

	chain := getBlockchain()
	if len(chain) != requests+1 || !isValidChain(chain) {
		t.Fatalf("chain: got %d blocks (valid %v), want %d valid blocks", len(chain), isValidChain(chain), requests+1)
	}
	for i, b := range mined {
		if b.Header.Index < 1 || b.Header.Index > requests || !blockEqual(chain[b.Header.Index], b) {
			t.Errorf("request %d: its block (index %d) is not in the chain", i, b.Header.Index)
		}
	}
	// 웹소켓으로 지켜보는 쪽은 블록 1, 2, 3, … 을 빈틈 없이 차례로 받는다.
	for want := int64(1); want <= requests; want++ {
		m := receive(t, watcher)
		if m.Type != RESPONSE_BLOCKCHAIN {
			t.Fatalf("watcher: got message type %d, want RESPONSE_BLOCKCHAIN only", m.Type)
		}
		var blocks []Block
		json.Unmarshal([]byte(*m.Data), &blocks)
		if len(blocks) != 1 || blocks[0].Header.Index != want {
			t.Fatalf("watcher: got %d blocks ending at index %d, want block %d alone", len(blocks), blocks[len(blocks)-1].Header.Index, want)
		}
	}
	// 진짜 피어도 모든 블록을 받고, 빈틈이 없었으니 체인 전체를 물은 적이 없다.
	waitSameChain(t, n, peer)
	if c := peer.countLog("We have to query the chain from our peer"); c != 0 {
		t.Errorf("peer sent QUERY_ALL %d times, want 0", c)
	}
	if c := peer.countLog("Received blockchain is longer"); c != 0 {
		t.Errorf("peer received a whole chain %d times, want 0", c)
	}
}

// 잠금 경쟁이 심하도록 mineBlock 을 여러 고루틴에서 바로 부른다: 알림은 그래도 체인 순서대로 나가야 한다.
func TestBroadcastsLeaveInChainOrder(t *testing.T) {
	n := startLocalNode(t)
	watcher := dialWS(t, n.p2p)
	receive(t, watcher) // QUERY_LATEST
	waitFor(t, "the watcher", func() bool { return len(getSockets()) == 1 })
	const workers, perWorker = 8, 250
	received := make(chan error, 1)
	go func() {
		for want := int64(1); want <= workers*perWorker; want++ {
			watcher.SetReadDeadline(time.Now().Add(20 * time.Second))
			var data string
			if err := websocket.Message.Receive(watcher, &data); err != nil {
				received <- err
				return
			}
			var m Message
			var blocks []Block
			json.Unmarshal([]byte(data), &m)
			json.Unmarshal([]byte(*m.Data), &blocks)
			if len(blocks) != 1 || blocks[0].Header.Index != want {
				received <- fmt.Errorf("got index %d, want %d", blocks[len(blocks)-1].Header.Index, want)
				return
			}
		}
		received <- nil
	}()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWorker {
				if mineBlock([]string{fmt.Sprint(w, i)}) == nil {
					t.Errorf("mineBlock failed")
				}
			}
		}()
	}
	wg.Wait()
	if err := <-received; err != nil {
		t.Fatalf("watcher: %v", err)
	}
	if got := len(getBlockchain()); got != workers*perWorker+1 {
		t.Errorf("chain: got %d blocks, want %d", got, workers*perWorker+1)
	}
}

func TestMiningWhileChainsArriveFromSeveralPeers(t *testing.T) {
	n := startLocalNode(t)
	b := startNode(t, "B", n.p2p)
	c := startNode(t, "C", n.p2p)
	waitFor(t, "B and C to connect", func() bool { return len(getSockets()) == 2 })
	var wg sync.WaitGroup
	for _, node := range []*testNode{n, n, b, c} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 40 {
				node.mine(fmt.Sprintf("%s %d", node.name, i))
			}
		}()
	}
	wg.Wait()
	for _, node := range []*testNode{n, b, c} {
		if chain := node.blocks(); !isValidChain(chain) {
			t.Errorf("%s's chain is not valid after concurrent mining", node.name)
		}
	}
	// 같은 길이의 두 갈래는 챕터의 규칙(더 긴 체인)으로 가를 수 없다: 한 블록을 더 캐서 가른다.
	converged := func() bool {
		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) {
			x, y, z := n.blocks(), b.blocks(), c.blocks()
			if slices.EqualFunc(x, y, blockEqual) && slices.EqualFunc(x, z, blockEqual) {
				return true
			}
			time.Sleep(10 * time.Millisecond)
		}
		return false
	}
	for attempt := 1; ; attempt++ {
		n.mine("tie breaker")
		if converged() {
			break
		}
		if attempt == 5 {
			t.Fatalf("nodes did not converge after %d tie-breaking blocks", attempt)
		}
	}
	if !isValidChain(getBlockchain()) {
		t.Error("final chain is not valid")
	}
}

func TestClosedSocketLeavesExactlyOnce(t *testing.T) {
	n := startLocalNode(t)
	var clients []*websocket.Conn
	for range 3 {
		ws := dialWS(t, n.p2p)
		receive(t, ws)
		clients = append(clients, ws)
	}
	waitFor(t, "three sockets", func() bool { return len(n.peers()) == 3 })
	// 가운데 클라이언트를 닫는다: 그 소켓만, 한 번만 빠져야 한다.
	before := n.peers()
	clients[1].Close()
	waitFor(t, "the closed socket to leave", func() bool { return len(n.peers()) == 2 })
	after := n.peers()
	gone := slices.DeleteFunc(slices.Clone(before), func(a string) bool { return slices.Contains(after, a) })
	if len(gone) != 1 || n.countLog("Connection failed to peer: "+gone[0]) != 1 {
		t.Fatalf("got %v gone and log:\n%s\nwant one socket gone, logged once", gone, n.logText())
	}
	// 남은 두 클라이언트는 여전히 연결되어 브로드캐스트를 받는다.
	mined := n.mine("after close")
	for _, i := range []int{0, 2} {
		if got := receiveBlocks(t, clients[i]); len(got) != 1 || !blockEqual(got[0], mined) {
			t.Errorf("client %d: did not receive the new block", i)
		}
	}
}

// ---------- 퍼즈 테스트 ----------

// FuzzHandleMessage 는 아무 바이트나 메시지로 넣어도 노드가 죽지 않고 체인이 올바른지 본다.
func FuzzHandleMessage(f *testing.F) {
	for _, tt := range badFrames() {
		// 200 KB 짜리 깊은 JSON 두 개는 빼고 심는다: 변형마다 그만큼을 복사하고 디코딩해 퍼즈가 느려진다.
		// 그 둘은 TestBadPeerFramesAreLoggedAndIgnored 가 확인한다.
		if len(tt.frame) <= 4096 {
			f.Add([]byte(tt.frame))
		}
	}
	chain := makeChain(3, "seed")
	f.Add([]byte(response(*blocksJSON(chain))))      // 체인 전체
	f.Add([]byte(response(*blocksJSON(chain[1:2])))) // 제네시스 바로 다음 블록 하나
	f.Add([]byte(`{"type":0,"data":null}`))
	f.Add([]byte(`{"type":1,"data":null}`))
	log.SetOutput(io.Discard)
	f.Cleanup(func() { log.SetOutput(os.Stderr); resetChain() })
	ws := newTestSocket("fuzz")
	f.Fuzz(func(t *testing.T, data []byte) {
		resetChain()
		handleMessage(ws, data)
		for len(ws.outbox) > 0 {
			<-ws.outbox
		}
		ws.queued.Store(0)
		if chain := getBlockchain(); !isValidChain(chain) {
			t.Fatalf("chain became invalid after %q", data)
		}
	})
}

// ---------- 벤치마크: go test -bench . -benchmem -run '^$' ----------

func BenchmarkCalculateHash(b *testing.B) {
	g := getGenesisBlock()
	b.ReportAllocs()
	for b.Loop() {
		calculateHashForBlock(g)
	}
}

func BenchmarkMerkleRoot(b *testing.B) {
	for _, leaves := range []int{1, 3, 100} {
		data := make([]string, leaves)
		for i := range data {
			data[i] = fmt.Sprintf("transaction %d", i)
		}
		b.Run(fmt.Sprintf("leaves=%d", leaves), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				calculateMerkleRoot(data)
			}
		})
	}
}

func BenchmarkIsValidChain(b *testing.B) {
	chain := makeChain(10000, "bench")
	b.Run("blocks=10000", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if !isValidChain(chain) {
				b.Fatal("chain not valid")
			}
		}
	})
}

// chainFrame 은 blocks 개 블록의 체인을 담은 RESPONSE_BLOCKCHAIN 프레임이다 (체인 전체를 받는 쪽이 보는 바이트).
func chainFrame(blocks int) []byte {
	frame, _ := json.Marshal(Message{Type: RESPONSE_BLOCKCHAIN, Data: blocksJSON(makeChain(blocks, "bench"))})
	return frame
}

// decodeOnly 는 받는 쪽이 프레임에서 블록들을 꺼내는 JSON 디코딩만 한다 (검증도, 교체도 없이).
func decodeOnly(frame []byte) []Block {
	var m Message
	var blocks []Block
	json.Unmarshal(frame, &m)
	// handleBlockchainResponse 처럼 문자열을 복사하지 않고 읽는다: 두 쪽이 같은 디코딩을 해야 비가 공정하다.
	json.Unmarshal(unsafe.Slice(unsafe.StringData(*m.Data), len(*m.Data)), &blocks)
	return blocks
}

// BenchmarkReceiveChain 은 새 노드가 체인 전체를 RESPONSE_BLOCKCHAIN 하나로 받아 검증하고 바꾸는 데 드는 시간이다.
// 같은 반복 안에서 같은 바이트를 디코딩만 하는 시간도 재어 decode-ns/op 와 그 비(receive/decode)를 함께 보인다.
func BenchmarkReceiveChain(b *testing.B) {
	log.SetOutput(io.Discard)
	b.Cleanup(func() { log.SetOutput(os.Stderr); resetChain() })
	ws := newTestSocket("bench")
	for _, blocks := range []int{10000, 40000} {
		frame := chainFrame(blocks)
		b.Run(fmt.Sprintf("blocks=%d", blocks), func(b *testing.B) {
			var decode, receive time.Duration
			b.SetBytes(int64(len(frame)))
			for b.Loop() {
				b.StopTimer() // ns/op 는 받기만 잰다: 디코딩만 하는 시간은 decode-ns/op 로 따로 보인다
				start := time.Now()
				if got := decodeOnly(frame); len(got) != blocks+1 {
					b.Fatalf("decoded %d blocks", len(got))
				}
				decode += time.Since(start)
				resetChain()
				b.StartTimer()

				start = time.Now()
				handleMessage(ws, frame)
				receive += time.Since(start)
				if got := len(getBlockchain()); got != blocks+1 {
					b.Fatalf("chain has %d blocks after receiving, want %d", got, blocks+1)
				}
			}
			b.ReportMetric(float64(receive.Nanoseconds())/float64(b.N), "receive-ns/op")
			b.ReportMetric(float64(decode.Nanoseconds())/float64(b.N), "decode-ns/op")
			b.ReportMetric(float64(receive)/float64(decode), "receive/decode")
		})
	}
}

// waitQuick 는 벤치마크에서 짧은 간격으로 조건을 기다린다.
func waitQuick(b *testing.B, what string, cond func() bool) {
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			b.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Microsecond)
	}
}

// BenchmarkSyncFromPeer 는 새 노드(이 프로세스)가 블록 10,000 개를 가진 피어(자식 프로세스)에
// 연결해 QUERY_LATEST, QUERY_ALL, 체인 교체를 거쳐 같은 체인을 가질 때까지의 시간이다.
func BenchmarkSyncFromPeer(b *testing.B) {
	const blocks = 10000
	n := startLocalNode(b)
	setBlockchain(makeChain(blocks, "sync"))
	peer := startNode(b, "peer", n.p2p) // 피어가 이 노드에서 체인을 받아 간다
	peer.waitLog("Replacing current blockchain")
	closeAllSockets(b)
	for b.Loop() {
		b.StopTimer()
		resetChain()
		b.StartTimer()
		connectToPeers([]string{peer.p2p})
		waitQuick(b, "the chain to sync", func() bool { return len(getBlockchain()) == blocks+1 })
		b.StopTimer()
		closeAllSockets(b)
		b.StartTimer()
	}
}

// BenchmarkMineOverHTTP 는 자식 프로세스 노드에 POST /mineBlock 을 1 개, 8 개의 클라이언트로 동시에 보내
// 연결된 피어(이 프로세스)가 모든 블록을 가질 때까지의 처리량이다. 피어는 한 번도 QUERY_ALL 을 보내거나 체인 전체를 받지 않아야 한다.
func BenchmarkMineOverHTTP(b *testing.B) {
	for _, clients := range []int{1, 8} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			peer := startLocalNode(b)
			miner := startNode(b, "miner", peer.p2p)
			waitQuick(b, "the miner to connect", func() bool { return len(getSockets()) == 1 })
			hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
			start := getLatestBlock().Header.Index
			var next atomic.Int64
			var wg sync.WaitGroup
			b.ResetTimer()
			began := time.Now()
			for range clients {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for next.Add(1) <= int64(b.N) {
						resp, err := hc.Post(miner.http+"/mineBlock", "application/json", strings.NewReader(`{"data":["bench"]}`))
						if err != nil {
							b.Error(err)
							return
						}
						io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
						if resp.StatusCode != 200 {
							b.Errorf("POST /mineBlock: %d", resp.StatusCode)
							return
						}
					}
				}()
			}
			wg.Wait()
			waitQuick(b, "the peer to hold every block", func() bool { return getLatestBlock().Header.Index == start+int64(b.N) })
			b.StopTimer()
			b.ReportMetric(float64(b.N)/time.Since(began).Seconds(), "blocks/s")
			if c := peer.countLog("We have to query the chain from our peer") + peer.countLog("Received blockchain is longer"); c != 0 {
				b.Errorf("steady mining: the peer sent QUERY_ALL or received a whole chain %d times, want 0", c)
			}
			hc.CloseIdleConnections()
		})
	}
}

// BenchmarkChainMemory 는 받은 체인(블록마다 짧은 데이터 하나)을 들고 있는 노드의 힙 크기이다.
func BenchmarkChainMemory(b *testing.B) {
	log.SetOutput(io.Discard)
	b.Cleanup(func() { log.SetOutput(os.Stderr); resetChain() })
	const blocks = 40000
	frame := chainFrame(blocks)
	ws := newTestSocket("bench")
	var held uint64
	for b.Loop() {
		resetChain()
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		handleMessage(ws, frame)
		runtime.GC()
		runtime.ReadMemStats(&after)
		if len(getBlockchain()) != blocks+1 {
			b.Fatal("chain not replaced")
		}
		held = after.HeapAlloc - before.HeapAlloc
	}
	b.ReportMetric(float64(held)/(1<<20), "MiB-for-40000-blocks")
	b.ReportMetric(float64(held)/blocks, "B/block")
}

// ---------- README ----------

// TestReadmeFunctionTable 은 README 의 「챕터의 함수와 Go 함수」 표가 가리키는 파일:줄에 정말 그 함수가 있는지,
// 그리고 챕터의 함수가 모두 표에 있는지 본다.
func TestReadmeFunctionTable(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(string(readme), "<!-- function-table -->")
	table, _, ok2 := strings.Cut(table, "<!-- /function-table -->")
	if !ok || !ok2 {
		t.Fatal("README.md has no <!-- function-table --> … <!-- /function-table --> section")
	}
	files := map[string][]string{}
	listed := map[string]bool{}
	for _, row := range strings.Split(strings.TrimSpace(table), "\n")[2:] { // 머리 두 줄을 건너뛴다
		cells := strings.Split(row, "|")
		if len(cells) != 5 {
			t.Errorf("table row %q: want 3 cells", row)
			continue
		}
		name := strings.Trim(cells[2], " `")
		file, lineText, _ := strings.Cut(strings.Trim(cells[3], " `"), ":")
		line, err := strconv.Atoi(lineText)
		if err != nil {
			t.Errorf("table row %q: bad line number", row)
			continue
		}
		if files[file] == nil {
			src, err := os.ReadFile(file)
			if err != nil {
				t.Errorf("table row %q: %v", row, err)
				continue
			}
			files[file] = strings.Split(string(src), "\n")
		}
		src := files[file]
		if line < 1 || line > len(src) || !strings.HasPrefix(src[line-1], "func "+name+"(") {
			got := ""
			if line >= 1 && line <= len(src) {
				got = src[line-1]
			}
			t.Errorf("README says %s is at %s:%d, but that line is %q", name, file, line, got)
		}
		listed[name] = true
	}
	for _, name := range []string{"initP2PServer", "initConnection", "initMessageHandler", "initErrorHandler",
		"connectToPeers", "write", "broadcast", "queryAllMsg", "queryChainLengthMsg", "responseChainMsg",
		"responseLatestMsg", "handleBlockchainResponse", "mineBlock", "replaceChain", "getBlockchain",
		"getLatestBlock", "getGenesisBlock", "generateNextBlock", "calculateHash", "calculateHashForBlock",
		"isValidNewBlock", "isValidBlockStructure", "isValidChain", "addBlock", "getSockets", "initHttpServer",
		"getCurrentTimestamp", "getCurrentVersion", "closeConnection"} {
		if !listed[name] {
			t.Errorf("README's function table has no row for %s", name)
		}
	}
}
