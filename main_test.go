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
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

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
	t        testing.TB
	name     string
	http     string // "http://127.0.0.1:port"
	p2p      string // "ws://127.0.0.1:port"
	cmd      *exec.Cmd
	exited   chan struct{}
	stopped  bool
	mu       sync.Mutex // protects lines
	lines    []string   // 노드가 남긴 로그 줄
	partial  []byte
	httpPort string
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
		for _, ws := range getSockets() {
			closeSocket(ws, errors.New("test finished"))
		}
		waitFor(t, "all sockets to close", func() bool { return len(getSockets()) == 0 })
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
	n.http, n.p2p, n.httpPort = "http://127.0.0.1:"+httpPort, "ws://127.0.0.1:"+p2pPort, httpPort
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

func TestMinedBlockDataIsNeverNull(t *testing.T) {
	resetChain()
	t.Cleanup(resetChain)
	b := mineBlock(nil)
	if b == nil {
		t.Fatal("mineBlock(nil): got nil, want a block")
	}
	got, _ := json.Marshal(b)
	if !strings.HasSuffix(string(got), `"data":[]}`) {
		t.Errorf("block mined with no data: got %s, want \"data\":[]", got)
	}
	if b.Header.Index != 1 || b.Header.PreviousHash != calculateHashForBlock(getGenesisBlock()) || b.Header.Version != nodeVersion {
		t.Errorf("mined block header: got %+v", b.Header)
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
