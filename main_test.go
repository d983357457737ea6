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
	"regexp"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/websocket"
)

// 이 파일은 챕터의 차례를 따른다. 먼저 챕터의 함수마다 그 이름의 테스트가 main.js 의 차례대로 있고(TestGetGenesisBlock …
// TestReplaceChain), 진짜 노드 여럿으로 챕터를 돌려 보는 테스트와 노트의 네 부분을 그대로 돌려 보는 TestNoteWalkthrough 가
// 뒤따른다. 「---- 챕터에 없는 것 ----」 아래는 챕터에 없는 것(자바스크립트처럼 JSON 읽기, 잘못된 입력, 한계, 동시성, 퍼즈,
// 자바스크립트 노드와 함께 돌리기, 벤치마크)이고, 맨 끝의 「테스트 도우미」는 노드를 자식 프로세스로 띄우는 등의 도구이다.

// ---------- 챕터 1: 블록과 해시 (main.js 의 차례) ----------

// genesisHash 는 챕터의 노드가 만드는 제네시스 블록의 해시이다.
const genesisHash = "C8CD3F1A0BCF8EE28A559D2DE7A4A871E684BFAFEEAAF996C8FCFA5B247B6129"

func TestGetGenesisBlock(t *testing.T) {
	g := getGenesisBlock()
	const wantMerkle = "A6D72BAA3DB900B03E70DF880E503E9164013B4D9A470853EDC115776323A098"
	if g.Header.MerkleRoot != wantMerkle {
		t.Errorf("genesis merkleRoot: got %s, want %s", g.Header.MerkleRoot, wantMerkle)
	}
	if got := calculateHashForBlock(g); got != genesisHash {
		t.Errorf("genesis hash: got %s, want %s", got, genesisHash)
	}
	// 자바스크립트 노드는 제네시스를 JSON.stringify 로 비교하므로 키 순서까지 같아야 한다.
	want := `{"header":{"version":"1.0.0","index":0,"previousHash":"` + strings.Repeat("0", 64) +
		`","timestamp":1231006505,"merkleRoot":"` + wantMerkle +
		`"},"data":["The Times 03/Jan/2009 Chancellor on brink of second bailout for banks"]}`
	if got := string(stringify(g)); got != want {
		t.Errorf("genesis JSON:\n got %s\nwant %s", got, want)
	}
}

func TestGenerateNextBlock(t *testing.T) {
	resetChain()
	t.Cleanup(resetChain)
	before := time.Now().Unix()
	mu.Lock()
	b := generateNextBlock(vals("a"))
	mu.Unlock()
	after := time.Now().Unix() + 1 // Math.round 은 반올림이라 1초 뒤일 수 있다
	if b.Header.Version != "2.1.0" || b.Header.Index != 1 || b.Header.PreviousHash != genesisHash ||
		b.Header.MerkleRoot != h("a") || !dataEqual(b.Data, vals("a")) {
		t.Errorf("next block: got %+v, want version 2.1.0, index 1, the genesis hash and merkle root h(\"a\")", b)
	}
	if b.Header.Timestamp < before || b.Header.Timestamp > after {
		t.Errorf("timestamp: got %d, want between %d and %d", b.Header.Timestamp, before, after)
	}
	if got := len(chainNow()); got != 1 {
		t.Errorf("generateNextBlock changed the chain: got %d blocks, want 1", got)
	}
}

func TestAddBlock(t *testing.T) {
	resetChain()
	t.Cleanup(resetChain)
	chain := makeChain(4, "r")
	huge := chain[3]
	huge.size = maxFrameBytes - len(chainFrame(chain[:3])) - 1 // 이 블록이 든 체인의 QUERY_ALL 답은 프레임 한계에 꼭 맞는다
	discardLog(t)
	mu.Lock()
	defer mu.Unlock()
	for _, tt := range []struct {
		name  string
		block Block
		want  bool
	}{
		{"block 1 on genesis", chain[1], true},
		{"block 1 again", chain[1], false},
		{"block 3 over a gap", chain[3], false},
		{"block 2", chain[2], true},
		{"block 3 whose chain fills a frame", huge, true},
		{"block 4: the chain's answer would pass the frame limit", nextBlock(chain[3], "one more"), false},
	} {
		if got := addBlock(tt.block); got != tt.want {
			t.Errorf("addBlock(%s): got %v, want %v", tt.name, got, tt.want)
		}
	}
	if got := getBlockchain(); !slices.EqualFunc(got, chain[:4], blockEqual) {
		t.Errorf("chain: got %d blocks, want blocks 0..3 of the test chain", len(got))
	}
}

func TestCalculateHash(t *testing.T) {
	got := calculateHash("2.1.0", 7, strings.Repeat("A", 64), 1700000000, strings.Repeat("B", 64))
	want := h("2.1.0" + "7" + strings.Repeat("A", 64) + "1700000000" + strings.Repeat("B", 64))
	if got != want {
		t.Errorf("calculateHash: got %s, want %s", got, want)
	}
}

// TestMerkleRoot 는 merkleRootOf 를 npm merkle 0.6.0 이 낸 값(testdata/jsnode/vectors.js 를 node 로 돌려 만든
// merkle-vectors.json)과, 챕터의 규칙대로 이 테스트에서 따로 계산한 값에 견준다.
func TestMerkleRoot(t *testing.T) {
	raw, err := os.ReadFile("testdata/jsnode/merkle-vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var vectors []struct {
		Data []json.RawMessage
		Root string
		Text []string
	}
	if err := json.Unmarshal(raw, &vectors); err != nil {
		t.Fatal(err)
	}
	for _, v := range vectors {
		data := make([]json.RawMessage, len(v.Data))
		for i, value := range v.Data {
			if data[i], err = canonicalJSON(value); err != nil { // 파일의 1e-07 같은 수를 JSON.stringify 의 꼴로
				t.Fatal(err)
			}
			if got := leafText(data[i]); got != v.Text[i] {
				t.Errorf("String(%s): got %q, want %q", data[i], got, v.Text[i])
			}
		}
		if got := merkleRootOf(data); got != v.Root {
			t.Errorf("merkle root of %s: got %s, want %s (npm merkle)", v.Data, got, v.Root)
		}
	}
	a, b, c, d, e := h("a"), h("b"), h("c"), h("d"), h("e")
	for _, tt := range []struct {
		name string
		data []string
		want string
	}{
		{"no data", []string{}, strings.Repeat("0", 64)},
		{"3 leaves: odd one moves up", []string{"a", "b", "c"}, h(h(a+b) + c)},
		{"5 leaves", []string{"a", "b", "c", "d", "e"}, h(h(h(a+b)+h(c+d)) + e)},
		{"uppercase hash leaf is kept", []string{genesisHash}, genesisHash},
		{"lowercase hash leaf is hashed", []string{strings.ToLower(genesisHash)}, h(strings.ToLower(genesisHash))},
	} {
		if got := merkleRootOf(vals(tt.data...)); got != tt.want {
			t.Errorf("%s: got %s, want %s", tt.name, got, tt.want)
		}
	}
}

func TestIsValidNewBlock(t *testing.T) {
	genesis := getGenesisBlock()
	valid := makeChain(1, "v")[1]
	discardLog(t)
	for _, tt := range []struct {
		name   string
		change func(b *Block)
		want   string // 남겨야 할 로그 (맞는 블록이면 "")
	}{
		{"valid block", func(b *Block) {}, ""},
		{"empty data with zero merkle root", func(b *Block) { b.Data = vals(); b.Header.MerkleRoot = strings.Repeat("0", 64) }, ""},
		{"data of every JSON kind", func(b *Block) {
			b.Data = []json.RawMessage{[]byte(`1`), []byte(`null`), []byte(`true`), []byte(`{"a":[1]}`), []byte(`[1,[null]]`)}
			b.Header.MerkleRoot = merkleRootOf(b.Data)
		}, ""},
		{"structure: data null", func(b *Block) { b.Data = nil; b.Header.MerkleRoot = strings.Repeat("0", 64) }, "invalid block structure"},
		{"index is not previous+1", func(b *Block) { b.Header.Index = 2 }, "Invalid index"},
		{"previousHash is not the previous block's hash", func(b *Block) { b.Header.PreviousHash = h("other") }, "Invalid previousHash"},
		{"merkleRoot does not match data", func(b *Block) { b.Data = vals("changed") }, "Invalid merkleRoot"},
		{"empty data with a non-zero merkle root", func(b *Block) { b.Data = vals() }, "Invalid merkleRoot"},
	} {
		b := valid
		b.Data = slices.Clone(valid.Data)
		tt.change(&b)
		logs := captureLog(t)
		if got := isValidNewBlock(b, genesis); got != (tt.want == "") {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want == "")
		}
		if tt.want != "" && logs.countLog(tt.want) != 1 {
			t.Errorf("%s: got log %q, want one line with %q", tt.name, logs.logText(), tt.want)
		}
	}
}

func TestIsValidBlockStructure(t *testing.T) {
	valid := makeChain(1, "s")[1]
	for _, tt := range []struct {
		name   string
		change func(b *Block)
		want   bool
	}{
		{"valid block", func(b *Block) {}, true},
		{"index 2^53-1", func(b *Block) { b.Header.Index = maxSafeInteger }, true},
		{"index above 2^53-1: JavaScript would hash another number", func(b *Block) { b.Header.Index = maxSafeInteger + 1 }, false},
		{"timestamp below -(2^53-1)", func(b *Block) { b.Header.Timestamp = -maxSafeInteger - 1 }, false},
		{"data null", func(b *Block) { b.Data = nil }, false},
		{"data of exactly 1 MiB as JSON", func(b *Block) { b.Data = vals(strings.Repeat("x", maxBlockDataBytes-4)) }, true},
		{"data one byte over 1 MiB", func(b *Block) { b.Data = vals(strings.Repeat("x", maxBlockDataBytes-3)) }, false},
		{"a million empty strings cost their quotes and commas", func(b *Block) { b.Data = vals(make([]string, maxBlockDataBytes/3+1)...) }, false},
	} {
		b := valid
		tt.change(&b)
		if got := isValidBlockStructure(b); got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestIsValidChain(t *testing.T) {
	foreign := makeChain(2, "f")
	foreign[0].Header.Timestamp++ // 다른 제네시스
	brokenLink := makeChain(3, "b")
	brokenLink[2].Header.PreviousHash = h("x")
	badMerkle := makeChain(3, "m")
	badMerkle[2].Data = vals("tampered")
	genesisData := makeChain(1, "g")
	genesisData[0].Data = vals("other genesis text")
	chain := makeChain(3, "c")
	discardLog(t)
	for _, tt := range []struct {
		name  string
		chain []Block
		want  bool
	}{
		{"genesis only", []Block{getGenesisBlock()}, true},
		{"three blocks on genesis", makeChain(3, "ok"), true},
		{"foreign genesis", foreign, false},
		{"genesis with other data", genesisData, false},
		{"broken link", brokenLink, false},
		{"wrong merkle root", badMerkle, false},
		{"a block repeated", append(slices.Clone(chain), chain[3]), false},
		{"a block missing", []Block{chain[0], chain[1], chain[3]}, false},
	} {
		if got := isValidChain(tt.chain); got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}

// ---------- 챕터 2: HTTP 와 P2P 서버, 연결, 메시지 (main.js 의 차례) ----------

func TestInitHttpServer(t *testing.T) {
	n := startLocalNode(t)
	genesis := string(stringify([]Block{getGenesisBlock()}))
	for _, tt := range []struct {
		method, path, body string
		wantStatus         int
		wantType, wantBody string
	}{
		{"GET", "/blocks", "", 200, "application/json; charset=utf-8", genesis},
		{"GET", "/version", "", 200, "text/html; charset=utf-8", "2.1.0"},
		{"GET", "/peers", "", 200, "application/json; charset=utf-8", "[]"},
		{"POST", "/addPeers", `{"peers":[]}`, 200, "", ""},
		{"POST", "/addpeers", `{}`, 200, "", ""},
		{"GET", "/nothing", "", 404, "text/plain; charset=utf-8", "404 page not found\n"},
		{"GET", "/mineBlock", "", 405, "text/plain; charset=utf-8", "Method Not Allowed\n"},
	} {
		resp := request(t, tt.method, n.http+tt.path, tt.body, nil)
		if resp.status != tt.wantStatus || resp.header.Get("Content-Type") != tt.wantType || resp.body != tt.wantBody {
			t.Errorf("%s %s: got %d %q %q, want %d %q %q", tt.method, tt.path, resp.status,
				resp.header.Get("Content-Type"), resp.body, tt.wantStatus, tt.wantType, tt.wantBody)
		}
	}
	// POST /mineBlock 은 새 블록을 JSON.stringify 한 문자열로 돌려주고, GET /blocks 가 그 블록을 보인다.
	mined := n.mine("첫 번째 블록", "<&>")
	if got, want := n.getRaw("/blocks"), "["+genesis[1:len(genesis)-1]+","+string(stringify(mined))+"]"; got != want {
		t.Errorf("GET /blocks after mining:\n got %s\nwant %s", got, want)
	}
	// 챕터처럼 data 는 아무 JSON 값의 배열이고, JSON.stringify(JSON.parse(…)) 의 꼴로 생성된다 (want 는 node 20 이 쓴 값).
	for _, tt := range []struct{ body, wantData string }{
		{`{"data":[1, 2.50, 1e21, -0, 1E-7]}`, `[1,2.5,1e+21,0,1e-7]`},
		{`{"data":[null,true,false,"x"]}`, `[null,true,false,"x"]`},
		{`{"data":[{ "b": 1, "2": 2, "1": 3, "a": 4, "b": 5 }]}`, `[{"1":3,"2":2,"b":5,"a":4}]`},
		{`{"data":[[1,[2,null]],{}]}`, `[[1,[2,null]],{}]`},
		{`{"data":["\u2028<>&\u007f\u0001\b\f"]}`, "[\"\u2028<>&\x7f\\u0001\\b\\f\"]"},
		{`{"data":0}`, `[]`},     // req.body.data || []
		{`{"Data":["x"]}`, `[]`}, // 키는 대소문자까지 같아야 한다
		{`[1,2]`, `[]`},          // 배열인 몸체에는 data 가 없다
	} {
		status, body := httpDo(t, "POST", n.http+"/mineBlock", tt.body)
		if var_b := (Block{}); status != 200 || json.Unmarshal([]byte(body), &var_b) != nil || !strings.HasSuffix(body, `"data":`+tt.wantData+`}`) {
			t.Errorf("POST /mineBlock %s: got %d %s, want 200 and \"data\":%s", tt.body, status, body, tt.wantData)
		}
	}
}

// 챕터의 P2P 서버는 npm ws 처럼 Origin 헤더 없이 연결해 와도 받고, 연결되면 바로 QUERY_LATEST 를 보낸다.
func TestInitP2PServer(t *testing.T) {
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

func TestInitConnection(t *testing.T) {
	resetChain()
	t.Cleanup(func() { closeAllSockets(t); resetChain() })
	ws := newTestSocket("peer")
	mu.Lock()
	initConnection(ws)
	got := slices.Clone(getSockets())
	mu.Unlock()
	if !slices.Equal(got, []*socket{ws}) {
		t.Errorf("sockets: got %d sockets, want just the new one", len(got))
	}
	if sent := drain(ws); !slices.Equal(sent, []string{`{"type":0,"data":null}`}) {
		t.Errorf("sent: got %q, want one QUERY_LATEST", sent)
	}
}

func TestInitMessageHandler(t *testing.T) {
	resetChain()
	t.Cleanup(resetChain)
	discardLog(t)
	chain := makeChain(2, "m")
	setChain(chain[:2])
	ws := newTestSocket("peer") // initMessageHandler 를 불러 둔 소켓
	for _, tt := range []struct {
		name, frame string
		want        []string
	}{
		{"QUERY_LATEST", `{"type":0,"data":null}`, []string{string(chainFrame(chain[1:2]))}},
		{"QUERY_ALL with 1.0 as type and data it does not read", `{"data":5,"type":1.0}`, []string{string(chainFrame(chain[:2]))}},
		{"QUERY_ALL again: the same answer is not sent twice", `{"type":1,"data":null}`, nil},
		{"a block that is not on ours: the chain is asked of its sender", string(chainFrame(makeChain(5, "other")[5:])), []string{`{"type":1,"data":null}`}},
		{"QUERY_LATEST and QUERY_ALL after other frames: still not sent twice", `{"type":0,"data":null}`, nil},
		{"QUERY_ALL once more", `{"type":1,"data":null}`, nil},
		{"RESPONSE_BLOCKCHAIN: the next block is appended and broadcast", string(chainFrame(chain[2:])), nil},
		{"type the chapter does not know", `{"type":3,"data":null}`, nil},
		{"TYPE is not type", `{"TYPE":1,"data":null}`, nil},
	} {
		receive(ws, []byte(tt.frame))
		if got := drain(ws); !slices.Equal(got, tt.want) {
			t.Errorf("%s: sent %q, want %q", tt.name, got, tt.want)
		}
	}
	if got := chainNow(); !slices.EqualFunc(got, chain, blockEqual) {
		t.Errorf("chain: got %d blocks, want 3", len(got))
	}
}

func TestCloseConnection(t *testing.T) {
	resetChain()
	t.Cleanup(resetChain)
	logs := captureLog(t)
	a, b := newTestSocket("127.0.0.1:1111"), newTestSocket("127.0.0.1:2222")
	mu.Lock()
	sockets = []*socket{a, b}
	broadcast(responseLatestMsg()) // 둘 다 프레임 하나를 나눠 가진다
	mu.Unlock()
	a.close(errors.New("EOF"))
	a.close(errors.New("a second error")) // 챕터에서는 close 와 error 가 둘 다 올 수 있다
	waitFor(t, "a to leave", func() bool { return slices.Equal(socketsNow(), []*socket{b}) })
	if got := logs.countLog("Connection failed to peer: 127.0.0.1:1111 (EOF)"); got != 1 {
		t.Errorf("got log %q, want one \"Connection failed to peer: 127.0.0.1:1111 (EOF)\"", logs.logText())
	}
	if got := drain(b); len(got) != 1 {
		t.Errorf("b: got %d frames, want the broadcast", len(got))
	}
	mu.Lock()
	defer mu.Unlock()
	if queuedBytes != 0 {
		t.Errorf("queued bytes after a closed and a drained socket: got %d, want 0", queuedBytes)
	}
	sockets = nil
}

func TestConnectToPeers(t *testing.T) {
	n := startLocalNode(t)
	other := startNode(t, "other")
	mu.Lock()
	connectToPeers([]string{other.p2p, "ws://127.0.0.1:1"})
	mu.Unlock()
	waitFor(t, "the connection to other", func() bool { return len(other.peers()) == 1 && len(n.peers()) == 1 })
	n.waitLog("Connection failed: ws://127.0.0.1:1: dial tcp 127.0.0.1:1: connect: connection refused")
	if got := socketsNow(); got[0].url != other.p2p {
		t.Errorf("socket url: got %q, want %q", got[0].url, other.p2p)
	}
}

// TestHandleBlockchainResponse 는 챕터의 세 갈래와 else 를 하나씩 본다: 받은 블록을 붙이기, 체인 전체를 묻기, 체인을 바꾸기,
// 더 길지 않으면 아무것도 하지 않기. 보낸 피어와 다른 피어의 대기열에 무엇이 들어갔는지, 어떤 로그를 남겼는지 본다.
func TestHandleBlockchainResponse(t *testing.T) {
	t.Cleanup(func() { mu.Lock(); sockets = nil; mu.Unlock(); resetChain() })
	chain := makeChain(4, "h")
	fork := makeChain(2, "fork")
	for _, tt := range []struct {
		name       string
		held       []Block // 받기 전의 체인
		received   []Block
		wantLog    []string
		wantChain  []Block
		wantSender []string // 보낸 피어에게 보낸 프레임
		wantOther  []string // 다른 피어에게 보낸 프레임
	}{
		{"append: the block is on our latest block", chain[:2], chain[2:3],
			[]string{"Blockchain possibly behind. We got: 1,  Peer got: 2", "We can append the received block to our chain"},
			chain[:3], []string{string(chainFrame(chain[2:3]))}, []string{string(chainFrame(chain[2:3]))}},
		{"query: one block that is not on our latest block asks its sender for the chain", chain[:2], chain[3:4],
			[]string{"Blockchain possibly behind. We got: 1,  Peer got: 3", "We have to query the chain from our peer"},
			chain[:2], []string{`{"type":1,"data":null}`}, nil},
		{"replace: a longer valid chain", fork, chain,
			[]string{"Blockchain possibly behind. We got: 2,  Peer got: 4", "Received blockchain is longer than current blockchain",
				"Received blockchain is valid. Replacing current blockchain with received blockchain"},
			chain, []string{string(chainFrame(chain[4:]))}, []string{string(chainFrame(chain[4:]))}},
		{"else: not longer", chain, fork,
			[]string{"Received blockchain is not longer than current blockchain. Do nothing"},
			chain, nil, nil},
	} {
		setChain(slices.Clone(tt.held))
		sender, other := newTestSocket("sender"), newTestSocket("other")
		mu.Lock()
		sockets = []*socket{sender, other}
		mu.Unlock()
		message, err := readMessage(chainFrame(tt.received))
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		logs := captureLog(t)
		mu.Lock()
		handleBlockchainResponse(sender, message)
		mu.Unlock()
		if got := strings.Split(logs.logText(), "\n"); !slices.EqualFunc(got, tt.wantLog, strings.HasSuffix) {
			t.Errorf("%s: log\n got %q\nwant %q", tt.name, got, tt.wantLog)
		}
		if got := chainNow(); !slices.EqualFunc(got, tt.wantChain, blockEqual) {
			t.Errorf("%s: chain has %d blocks, want %d", tt.name, len(got), len(tt.wantChain))
		}
		if got := drain(sender); !slices.Equal(got, tt.wantSender) {
			t.Errorf("%s: sent to the sender\n got %q\nwant %q", tt.name, got, tt.wantSender)
		}
		if got := drain(other); !slices.Equal(got, tt.wantOther) {
			t.Errorf("%s: sent to the other peer\n got %q\nwant %q", tt.name, got, tt.wantOther)
		}
	}
}

// write 와 broadcast 가 보내는 바이트: 메시지를 JSON.stringify 한 것 그대로이다 (응답의 data 는 블록 배열의 JSON 문자열이다).
func TestWrite(t *testing.T) {
	resetChain()
	t.Cleanup(resetChain)
	b := Block{Header: BlockHeader{"2.1.0", 1, genesisHash, 1700000000, h("a")}, Data: vals("a")}
	setChain(append([]Block{getGenesisBlock()}, b))
	block := `{\"header\":{\"version\":\"2.1.0\",\"index\":1,\"previousHash\":\"` + genesisHash +
		`\",\"timestamp\":1700000000,\"merkleRoot\":\"` + h("a") + `\"},\"data\":[\"a\"]}`
	genesis := strings.ReplaceAll(string(stringify(getGenesisBlock())), `"`, `\"`)
	ws := newTestSocket("peer")
	for _, tt := range []struct {
		name    string
		message func() Message
		want    string
	}{
		{"queryAllMsg", queryAllMsg, `{"type":1,"data":null}`},
		{"queryChainLengthMsg", queryChainLengthMsg, `{"type":0,"data":null}`},
		{"responseLatestMsg", responseLatestMsg, `{"type":2,"data":"[` + block + `]"}`},
		{"responseChainMsg (the chain itself, not [chain])", responseChainMsg, `{"type":2,"data":"[` + genesis + `,` + block + `]"}`},
	} {
		mu.Lock()
		f := frameOf(tt.message())
		write(ws, tt.message())
		mu.Unlock()
		if got := drain(ws); !slices.Equal(got, []string{tt.want}) {
			t.Errorf("write(%s):\n got %q\nwant %s", tt.name, got, tt.want)
		}
		if f.size != len(tt.want) {
			t.Errorf("%s: the frame's size is %d before it is built, want %d", tt.name, f.size, len(tt.want))
		}
	}
}

func TestBroadcast(t *testing.T) {
	resetChain()
	t.Cleanup(func() { mu.Lock(); sockets = nil; mu.Unlock(); resetChain() })
	peers := []*socket{newTestSocket("a"), newTestSocket("b"), newTestSocket("c")}
	mu.Lock()
	sockets = peers
	broadcast(responseLatestMsg())
	mu.Unlock()
	var frames []*frame
	for _, ws := range peers {
		select {
		case f := <-ws.send:
			frames = append(frames, f)
		default:
			t.Fatalf("socket %s got nothing", ws.addr)
		}
	}
	if frames[0] != frames[1] || frames[1] != frames[2] {
		t.Errorf("broadcast: the sockets got different frames, want one frame shared by all")
	}
	mu.Lock()
	defer mu.Unlock()
	if queuedBytes != frames[0].size {
		t.Errorf("queued bytes: got %d, want the shared frame's %d once", queuedBytes, frames[0].size)
	}
	// 대기열에 있는 프레임은 같은 소켓에 다시 들어가지 않는다: 센 값이 두 번 늘면 한 번만 줄어 예산이 영영 새어 나간다.
	extra := newFrame(queryAllMsg(), 0, "")
	enqueue(peers[0], extra)
	enqueue(peers[0], extra)
	if len(peers[0].send) != 1 || extra.holders != 1 {
		t.Errorf("the same frame enqueued twice: %d frames waiting and %d holders, want 1 and 1", len(peers[0].send), extra.holders)
	}
	for _, ws := range peers {
		release(ws)
	}
	if queuedBytes != 0 {
		t.Errorf("queued bytes after every socket let its frames go: got %d, want 0", queuedBytes)
	}
}

func TestMineBlock(t *testing.T) {
	resetChain()
	t.Cleanup(func() { mu.Lock(); sockets = nil; mu.Unlock(); resetChain() })
	watcher := newTestSocket("watcher")
	mu.Lock()
	sockets = []*socket{watcher}
	b := mineBlock(vals())
	noData := mineBlock(nil) // data 가 null 인 블록은 구조 검사가 거절한다 (HTTP 는 빠진 data 를 [] 로 바꾼다)
	mu.Unlock()
	if b == nil {
		t.Fatal("mineBlock([]): got nil, want a block")
	}
	if got := string(stringify(b)); !strings.HasSuffix(got, `"data":[]}`) {
		t.Errorf("block mined with no data: got %s, want \"data\":[]", got)
	}
	if b.Header.Index != 1 || b.Header.PreviousHash != genesisHash || b.Header.Version != "2.1.0" ||
		b.Header.MerkleRoot != strings.Repeat("0", 64) {
		t.Errorf("mined block header: got %+v", b.Header)
	}
	if noData != nil {
		t.Errorf("mineBlock(nil): got a block %+v, want nil", noData)
	}
	if got := len(chainNow()); got != 2 {
		t.Errorf("chain: got %d blocks, want 2", got)
	}
	// broadcast(responseLatestMsg()): 연결된 소켓은 새 블록 하나를 받는다.
	if sent := drain(watcher); !slices.Equal(sent, []string{string(chainFrame([]Block{*b}))}) {
		t.Errorf("broadcast after mining: got %q, want one RESPONSE_BLOCKCHAIN with the new block", sent)
	}
}

func TestReplaceChain(t *testing.T) {
	resetChain()
	t.Cleanup(resetChain)
	discardLog(t)
	long, other := makeChain(3, "long"), makeChain(3, "other")
	mu.Lock()
	defer mu.Unlock()
	replaceChain(long)
	if !slices.EqualFunc(getBlockchain(), long, blockEqual) {
		t.Fatalf("replaceChain with a longer valid chain: got %d blocks, want the 4 new blocks", len(getBlockchain()))
	}
	replaceChain(makeChain(2, "short"))
	broken := slices.Clone(other)
	broken[3].Data = vals("tampered")
	replaceChain(broken)
	if !slices.EqualFunc(getBlockchain(), long, blockEqual) {
		t.Error("replaceChain with a shorter or an invalid chain changed the chain")
	}
	// 같은 길이의 올바른 체인: 챕터의 random.boolean() 처럼 반반의 확률로 바꾼다. 64 번 중 양쪽이 다 나와야 한다.
	replaced, kept := 0, 0
	for range 64 {
		blockchain = long
		replaceChain(other)
		if blockEqual(getLatestBlock(), other[3]) {
			replaced++
		} else {
			kept++
		}
	}
	if replaced == 0 || kept == 0 {
		t.Errorf("same-length chain, 64 tries: replaced %d, kept %d, want both to happen", replaced, kept)
	}
}

// ---------- 챕터 2: 여러 노드, 진짜 HTTP 와 웹소켓 ----------

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

func TestPeersListsConnectedAndDropsClosed(t *testing.T) {
	a := startNode(t, "A")
	b := startNode(t, "B", a.p2p)
	waitFor(t, "A to list B", func() bool { return len(a.peers()) == 1 })
	if got, want := b.peers(), []string{strings.TrimPrefix(a.p2p, "ws://")}; !slices.Equal(got, want) {
		t.Errorf("B's peers: got %v, want %v", got, want)
	}
	if got := a.peers(); len(got) != 1 || !strings.HasPrefix(got[0], "127.0.0.1:") {
		t.Errorf("A's peers: got %q, want one 127.0.0.1:port", got)
	}
	b.stop()
	waitFor(t, "A to drop B", func() bool { return len(a.peers()) == 0 })
	a.waitLog("Connection failed to peer: 127.0.0.1:")
}

func TestClosedSocketLeavesExactlyOnce(t *testing.T) {
	n := startLocalNode(t)
	var clients []*websocket.Conn
	for range 3 {
		ws := dialWS(t, n.p2p)
		receiveMsg(t, ws)
		clients = append(clients, ws)
	}
	waitFor(t, "three sockets", func() bool { return len(n.peers()) == 3 })
	// 가운데 클라이언트를 닫는다: 그 소켓만, 한 번만 빠져야 한다.
	before := n.peers()
	clients[1].Close()
	waitFor(t, "the closed socket to leave", func() bool { return len(n.peers()) == 2 })
	after := n.peers()
	gone := slices.DeleteFunc(slices.Clone(before), func(a string) bool { return slices.Contains(after, a) })
	if len(gone) != 1 {
		t.Fatalf("got %v gone, want one socket", gone)
	}
	if c := n.countLog("Connection failed to peer: " + gone[0]); c != 1 {
		t.Errorf("got %d log lines for the closed socket, want 1; log:\n%s", c, n.logText())
	}
	// 남은 두 클라이언트는 여전히 연결되어 브로드캐스트를 받는다.
	mined := n.mine("after close")
	for _, i := range []int{0, 2} {
		if got := receiveBlocks(t, clients[i]); len(got) != 1 || !blockEqual(got[0], mined) {
			t.Errorf("client %d: did not receive the new block", i)
		}
	}
}

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
	w.inOrder(1, "→ * RESPONSE_BLOCKCHAIN 1 block [1] (broadcast to 1)", "← "+e2+" RESPONSE_BLOCKCHAIN 1 block [1]", nothing)
	w.inOrder(2, "← "+p1+" RESPONSE_BLOCKCHAIN 1 block [1]", behind+"0,  Peer got: 1", appendLine,
		"→ * RESPONSE_BLOCKCHAIN 1 block [1] (broadcast to 1)")
	w.end(3, "3. 블록생성 — 노드 1 에 POST /mineBlock. mineBlock 이 블록을 붙이고 broadcast(responseLatestMsg()) 로 알린다."+
		" 노드 2 는 previousHash 가 자기 최신 블록의 해시라 바로 붙이고(4. 브로드캐스트의 첫 갈래) 다시 알린다. 노드 1 은 Do nothing.")

	// 4. 브로드캐스트: 노드 3 이 아직 연결하지 않은 동안 노드 1 에서 두 번째 블록.
	w.begin()
	n1.mine("두 번째", "블록")
	w.waitCount(2, appendLine, 1)
	w.waitCount(1, nothing, 1)
	w.inOrder(1, "→ * RESPONSE_BLOCKCHAIN 1 block [2] (broadcast to 1)", "← "+e2+" RESPONSE_BLOCKCHAIN 1 block [2]", nothing)
	w.inOrder(2, "← "+p1+" RESPONSE_BLOCKCHAIN 1 block [2]", behind+"1,  Peer got: 2", appendLine,
		"→ * RESPONSE_BLOCKCHAIN 1 block [2] (broadcast to 1)")
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
		"→ * RESPONSE_BLOCKCHAIN 1 block [2] (broadcast to 1)")
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
	w.inOrder(3, "→ * RESPONSE_BLOCKCHAIN 1 block [3] (broadcast to 1)", "← "+p2+" RESPONSE_BLOCKCHAIN 1 block [3]", nothing)
	w.inOrder(2, "← "+e3+" RESPONSE_BLOCKCHAIN 1 block [3]", behind+"2,  Peer got: 3", appendLine,
		"→ * RESPONSE_BLOCKCHAIN 1 block [3] (broadcast to 2)", "← "+p1+" RESPONSE_BLOCKCHAIN 1 block [3]", nothing)
	w.inOrder(1, "← "+e2+" RESPONSE_BLOCKCHAIN 1 block [3]", behind+"2,  Peer got: 3", appendLine,
		"→ * RESPONSE_BLOCKCHAIN 1 block [3] (broadcast to 1)")
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

// ---- 챕터에 없는 것 ----

// ---------- JSON 을 자바스크립트처럼 ----------

// stringify 가 내는 바이트는 자바스크립트의 JSON.stringify 와 같아야 한다. want 는 node 20 에서 JSON.stringify 가 낸 값이다.
func TestStringifyMatchesJSONStringify(t *testing.T) {
	for _, tt := range []struct {
		name string
		v    any
		want string
	}{
		{"<, >, & stay as they are", "<&>", `"<&>"`},
		{"line and paragraph separators stay as they are", "\u2028|\u2029", "\"\u2028|\u2029\""},
		{"a backslash before u2028 is text", `\u2028`, `"\\u2028"`},
		{"separators side by side", "\u2028\u2029\u2028", "\"\u2028\u2029\u2028\""},
		{"control characters", "a\b\f\n\r\t\x01\x1f\x7f", "\"a\\b\\f\\n\\r\\t\\u0001\\u001f\x7f\""},
		{"Korean", "한글", `"한글"`},
		{"quote, backslash, slash", `"\/`, `"\"\\/"`},
		{"a message that holds such a string", Message{Type: RESPONSE_BLOCKCHAIN, Data: ptr(string(stringify([]string{"<\u2028\"\\"})))},
			"{\"type\":2,\"data\":\"[\\\"<\u2028\\\\\\\"\\\\\\\\\\\"]\"}"},
	} {
		if got := string(stringify(tt.v)); got != tt.want {
			t.Errorf("%s: got %s, want %s", tt.name, got, tt.want)
		}
	}
}

// canonicalJSON 은 JSON.stringify(JSON.parse(raw)) 와 같다. want 는 node 20 이 낸 값이고, "" 는 자바스크립트와 달리
// 읽을 수 없어 거절하는 값이다.
func TestCanonicalJSON(t *testing.T) {
	for _, tt := range []struct{ raw, want string }{
		{`{"b":1,"2":2,"1":3,"a":4,"b":5}`, `{"1":3,"2":2,"b":5,"a":4}`},
		{`{"a":1,"a":2}`, `{"a":2}`},
		{`[1.0, 1e0, 1E+2, -0, 0.1, 1e21, 1e-7, 123456789012345678901234567890]`, `[1,1,100,0,0.1,1e+21,1e-7,1.2345678901234568e+29]`},
		{`"\u2028<>&\u007f\u0001\b\f"`, "\"\u2028<>&\x7f\\u0001\\b\\f\""},
		{`"\ud83d\ude00"`, ``}, // 자바스크립트는 "😀" 로 읽는다: 여기서는 서로게이트 이스케이프를 모두 거절한다
		{`"\\ud800"`, `"\\ud800"`},
		{`"\ud800"`, ``},
		{`{"__proto__":1}`, `{"__proto__":1}`},
		{`{"4294967295":1,"4294967294":2,"01":3,"-1":4}`, `{"4294967294":2,"4294967295":1,"01":3,"-1":4}`},
		{`{"4294967296":1,"4294967295":2,"5":3,"9007199254740991":4,"b":5,"0":6}`, `{"0":6,"5":3,"4294967296":1,"4294967295":2,"9007199254740991":4,"b":5}`},
		{`1e400`, ``},            // 자바스크립트는 Infinity 로 읽고 null 로 쓴다
		{`[{"toString":1}]`, ``}, // String() 이 예외를 던진다
		{`[[{"toString":1}]]`, ``},
		{`{"a":{"toString":1}}`, `{"a":{"toString":1}}`}, // 객체 안의 객체에는 String() 이 닿지 않는다
		{strings.Repeat("[", maxDepth+2) + strings.Repeat("]", maxDepth+2), ``},
		{"\"\xff\"", ``},
		{`[1] 2`, ``},
	} {
		got, err := canonicalJSON([]byte(tt.raw))
		if string(got) != tt.want || (err == nil) != (tt.want != "") {
			t.Errorf("canonicalJSON(%.40s): got %s (%v), want %q", tt.raw, got, err, tt.want)
		}
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

// ---------- 나쁜 입력: 노드는 죽지 않고, 체인은 그대로이다 ----------

// badFrames 는 피어가 보낼 수 있는 나쁜 메시지들과 노드가 남겨야 할 로그이다. 퍼즈 테스트의 씨앗으로도 쓴다.
func badFrames() []struct{ name, frame, wantLog string } {
	chain := makeChain(2, "bad")
	next := chain[1] // 제네시스 바로 다음 블록
	blocks := func(bs ...Block) string { return string(stringify(bs)) }
	withHeader := func(field, value string) string { // 블록 JSON 에서 헤더의 값 하나만 바꾼다
		return response(regexp.MustCompile(`"`+field+`":("[^"]*"|[0-9]+)`).ReplaceAllString(blocks(next), `"`+field+`":`+value))
	}
	withData := func(data string) string {
		return response(strings.Replace(blocks(next), `"data":["bad block 1"]`, `"data":`+data, 1))
	}
	foreign := makeChain(2, "foreign")
	foreign[0].Data = vals("another genesis")
	broken := makeChain(3, "broken")
	broken[2].Header.PreviousHash = h("nothing")
	wrongMerkle := next
	wrongMerkle.Data = vals("not what the root says")
	reordered := strings.Replace(strings.Replace(blocks(next), `"header":`, `"x":`, 1), `{"x":`, `{"data":[],"header":`, 1)
	deep := strings.Repeat("[", 100000) + strings.Repeat("]", 100000)
	return []struct{ name, frame, wantLog string }{
		{"not JSON", `hello`, "not a JSON object"},
		{"not JSON inside an object", `{hello}`, "invalid character 'h'"},
		{"JSON array, not an object", `[1,2]`, "not a JSON object"},
		{"JSON string, not an object", `"QUERY_ALL"`, "not a JSON object"},
		{"JSON null", `null`, "not a JSON object"},
		{"unknown type", `{"type":7,"data":null}`, "unknown type 7"},
		{"type missing", `{"data":null}`, "unknown type (none)"},
		{"TYPE is not type", `{"TYPE":1,"data":null}`, "unknown type (none)"},
		{"type as a string", `{"type":"0","data":null}`, `unknown type "0"`},
		{"type not an integer", `{"type":0.5,"data":null}`, "unknown type 0.5"},
		{"not UTF-8", "{\"type\":0,\"data\":\"\xff\"}", "not UTF-8"},
		{"a lone surrogate escape", `{"type":2,"data":"[\ud800]"}`, "a \\ud800-\\udfff escape"},
		{"data missing", `{"type":2}`, "data is not a string"},
		{"data null", `{"type":2,"data":null}`, "data is not a string"},
		{"data a number", `{"type":2,"data":5}`, "data is not a string"},
		{"data an array, not a string", `{"type":2,"data":[` + blocks(next) + `]}`, "data is not a string"},
		{"DATA is not data", `{"type":2,"DATA":` + string(stringify(blocks(next))) + `}`, "data is not a string"},
		{"data a string that is not JSON", response(`hello`), "want ["},
		{"data a JSON object, not an array", response(`{}`), "want ["},
		{"data an empty array", response(`[]`), `block 0: want {"header"`},
		{"data JSON null", response(`null`), "want ["},
		{"data with more after the array", response(blocks(next) + ` []`), "more after the array"},
		{"block without a header", response(`[{"data":[]}]`), `block 0: want {"header"`},
		{"block that is a number", response(`[1]`), `block 0: want {"header"`},
		{"keys in another order", response(`[` + reordered + `]`), `block 0: want {"header"`},
		{"a space after a comma", response(strings.Replace(blocks(next), `,"index"`, `, "index"`, 1)), "block 0: want"},
		{"Index is not index", response(strings.Replace(blocks(next), `"index"`, `"Index"`, 1)), "block 0: want"},
		{"index as a string", withHeader("index", `"1"`), "block 0: want an integer"},
		{"index written 1.0", withHeader("index", `1.0`), "block 0: want"},
		{"index beyond int64", withHeader("index", `100000000000000000000`), "block 0: want an integer"},
		{"index above 2^53-1", withHeader("index", `9007199254740992`), "invalid block structure"},
		{"index with a leading zero", withHeader("index", `01`), "block 0: want an integer"},
		{"timestamp not an integer", withHeader("timestamp", `1.5`), "block 0: want"},
		{"timestamp as a string", withHeader("timestamp", `"now"`), "block 0: want an integer"},
		{"version a number", withHeader("version", `1`), "block 0: want a string"},
		{"version with an escape JSON.stringify does not write", withHeader("version", `"\u0032.1.0"`), "not as JSON.stringify writes it"},
		{"data null in a block", withData(`null`), "block 0: want"},
		{"data not an array", withData(`"x"`), "block 0: want"},
		{"data value written 1.0", withData(`[1.0]`), "a value as JSON.stringify writes it"},
		{"data value with spaces", withData(`[[1, 2]]`), "a value as JSON.stringify writes it"},
		{"data object with a repeated key", withData(`[{"a":1,"a":2}]`), "a value as JSON.stringify writes it"},
		{"data object with a toString key", withData(`[{"toString":1}]`), "a value as JSON.stringify writes it"},
		{"data string with a lone surrogate", withData(`["\ud800"]`), "not as JSON.stringify writes it"},
		{"data string with a control character", withData("[\"a\x01\"]"), "block 0: want a whole string"},
		{"data of numbers: the merkle root does not match", withData(`[1,2]`), "Invalid merkleRoot"},
		{"next block with a wrong merkle root", response(blocks(wrongMerkle)), "Invalid merkleRoot"},
		{"chain on a foreign genesis", response(blocks(foreign...)), "Received blockchain invalid"},
		{"chain with a broken link", response(blocks(broken...)), "Invalid previousHash"},
		{"deeply nested JSON", deep, "not a JSON object"},
		{"deeply nested JSON in an object", `{"x":` + deep[:20000] + deep[len(deep)-20000:] + `}`, "exceeded max depth"},
		{"many other keys before type", `{` + strings.Repeat(`"k":0,`, 1<<10) + `"type":9}`, "unknown type 9"},
		{"a large message not as JSON.stringify writes it", `{` + strings.Repeat(`"k":0,`, 1<<20) + `"type":0}`, "message over 64 KiB"},
		{"type given twice: the last one counts, as in JavaScript", `{"type":2,"data":"x","type":7}`, "unknown type 7"},
		{"deeply nested JSON inside data", response(deep), `block 0: want {"header"`},
	}
}

func TestBadPeerFramesAreLoggedAndIgnored(t *testing.T) {
	n := startLocalNode(t)
	genesis := getGenesisBlock()
	for _, tt := range badFrames() {
		// 연결마다 나쁜 메시지는 maxBadMessages 개까지이므로 프레임마다 새로 연결한다.
		ws := dialWS(t, n.p2p)
		if m := receiveMsg(t, ws); m.Type != QUERY_LATEST {
			t.Fatalf("first message: got type %d, want QUERY_LATEST", m.Type)
		}
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
		if got := len(chainNow()); got != 1 {
			t.Errorf("%s: chain length %d, want 1", tt.name, got)
		}
		ws.Close()
	}
}

// 챕터의 JSON.parse 는 바이너리 프레임(Buffer)도 글로 읽는다: 여기서도 같다.
func TestBinaryFrameIsReadLikeText(t *testing.T) {
	n := startLocalNode(t)
	ws := dialWS(t, n.p2p)
	receiveMsg(t, ws)
	if err := websocket.Message.Send(ws, []byte(`{"type":0,"data":null}`)); err != nil {
		t.Fatal(err)
	}
	if got := receiveBlocks(t, ws); len(got) != 1 || calculateHashForBlock(got[0]) != genesisHash {
		t.Errorf("answer to a binary QUERY_LATEST: got %d blocks, want the genesis block", len(got))
	}
}

func TestBadMessagesCloseTheConnection(t *testing.T) {
	n := startLocalNode(t)
	ws := dialWS(t, n.p2p)
	receiveMsg(t, ws)
	for range maxBadMessages - 1 {
		send(t, ws, `hello`)
	}
	// maxBadMessages-1 개까지는 연결이 그대로이다.
	send(t, ws, `{"type":0,"data":null}`)
	receiveBlocks(t, ws)
	send(t, ws, `hello`)
	ws.SetReadDeadline(time.Now().Add(20 * time.Second))
	var data string
	if err := websocket.Message.Receive(ws, &data); err == nil {
		t.Errorf("after %d bad messages: got a message %q, want the connection closed", maxBadMessages, data)
	}
	waitFor(t, "the socket to leave", func() bool { return len(socketsNow()) == 0 })
	if got := n.countLog("Ignored message from"); got != maxBadMessages {
		t.Errorf("got %d \"Ignored message\" lines, want %d", got, maxBadMessages)
	}
	if got := n.countLog(fmt.Sprintf("(%d bad messages)", maxBadMessages)); got != 1 {
		t.Errorf("got %d lines closing the connection, want 1; log:\n%s", got, n.logText())
	}
}

func TestFrameAboveLimitClosesOnlyThatConnection(t *testing.T) {
	n := startLocalNode(t)
	good := dialWS(t, n.p2p)
	receiveMsg(t, good)
	conn, r := rawDial(t, n.p2p)
	waitFor(t, "two sockets", func() bool { return len(socketsNow()) == 2 })
	// 머리만 보내도 된다: 노드는 길이를 보고 내용을 읽기 전에 끊는다.
	conn.Write(rawFrameHeader(1, maxFrameBytes+1))
	for {
		if _, _, err := readRawFrame(r); err != nil {
			break // 연결이 닫혔다
		}
	}
	waitFor(t, "the big-frame socket to leave", func() bool { return len(socketsNow()) == 1 })
	n.waitLog(fmt.Sprintf("frame larger than %d bytes", maxFrameBytes))
	send(t, good, `{"type":0,"data":null}`)
	if got := receiveBlocks(t, good); len(got) != 1 {
		t.Errorf("the other connection: got %d blocks, want 1", len(got))
	}
}

// 블록 10만 개짜리 체인(블록마다 짧은 데이터 하나)의 RESPONSE_BLOCKCHAIN 이 프레임 한계 안에 드는지 본다.
func TestFrameLimitFitsAChainOf100000Blocks(t *testing.T) {
	frame := chainFrame(makeChain(100000, "fit"))
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
		{"POST", "/mineBlock", `{"data":{"a":1}}`, 400},
		{"POST", "/mineBlock", `{"data":[1e400]}`, 400},
		{"POST", "/mineBlock", `{"data":["\ud800"]}`, 400},
		{"POST", "/mineBlock", `{"data":[{"toString":1}]}`, 400},
		{"POST", "/mineBlock", `"data"`, 400},
		{"POST", "/mineBlock", `null`, 400},
		{"POST", "/mineBlock", "{\"data\":[\"\xff\"]}", 400},
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
		if status != tt.want || json.Unmarshal([]byte(body), &e) != nil || e.Error == "" || strings.Contains(body, "\n") {
			t.Errorf("%s %s %.30q: got %d %q, want %d and one line {\"error\":…}", tt.method, tt.path, tt.body, status, body, tt.want)
		}
	}
	if got := len(chainNow()); got != 1 {
		t.Errorf("chain after bad requests: got %d blocks, want 1", got)
	}
	// curl -d 처럼 Content-Type 없이(form 으로) 보낸 JSON 몸체도 읽는다.
	resp := request(t, "POST", n.http+"/mineBlock", `{"data":["no header"]}`, map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	var formBlock Block
	if err := json.Unmarshal([]byte(resp.body), &formBlock); resp.status != 200 || err != nil || !dataEqual(formBlock.Data, vals("no header")) {
		t.Errorf("POST /mineBlock without a JSON Content-Type: got %d %s, want 200 and data [no header]", resp.status, resp.body)
	}
	resetChain()
	// 몸체가 없거나 data 가 없거나 null 이면 빈 블록을 생성한다 (req.body.data || []).
	for i, body := range []string{``, `{}`, `{"data":null}`} {
		status, resp := httpDo(t, "POST", n.http+"/mineBlock", body)
		if status != 200 || !strings.Contains(resp, fmt.Sprintf(`"index":%d,`, i+1)) || !strings.HasSuffix(resp, `"data":[]}`) {
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
	n.addPeers("not a url", "http://127.0.0.1:1", "ws://", "ws://127.0.0.1:1", other.p2p, "ws://localhost:"+otherPort)
	// 자기 자신은 어느 이름으로 연결하든 알아본다 (하나씩: 동시에 걸면 뒤의 것은 앞의 것과 같은 피어로 건너뛴다).
	for i, self := range []string{n.p2p, "ws://localhost:" + ownPort, "ws://127.0.0.2:" + ownPort, "ws://127.1.2.3:" + ownPort} {
		n.addPeers(self)
		waitFor(t, self+" to be skipped", func() bool { return n.countLog("that address is this node") == i+1 })
	}
	n.waitLog("Connection failed: not a url")
	n.waitLog("Connection failed: http://127.0.0.1:1: want an address like ws://host:port")
	n.waitLog("Connection failed: ws://: want an address like ws://host:port")
	n.waitLog("Connection failed: ws://127.0.0.1:1: dial tcp 127.0.0.1:1: connect: connection refused")
	waitFor(t, "both duplicates to be skipped", func() bool { return n.countLog("already connected to that peer") == 2 })
	if got := n.peers(); !slices.Equal(got, []string{"127.0.0.1:" + otherPort}) {
		t.Errorf("peers: got %v, want only the other node", got)
	}
	if got := len(other.peers()); got != 1 {
		t.Errorf("the other node's peers: got %d, want 1", got)
	}
}

// ---------- 믿을 수 없는 피어와 웹 페이지: 무엇이 와도 노드는 한계 안에 머문다 ----------

// raceEnabled 는 이 테스트 바이너리가 경쟁 탐지기(-race)로 빌드되었는지 알려준다.
func raceEnabled() bool {
	info, ok := debug.ReadBuildInfo()
	return ok && slices.Contains(info.Settings, debug.BuildSetting{Key: "-race", Value: "true"})
}

// lockProbe 는 stop 이 닫힐 때까지 mu 를 잡았다 놓기를 거듭하며, mu 를 기다린 가장 긴 시간을 돌려준다: 다른 고루틴이
// mu 를 잡고 있던 가장 긴 시간쯤이다 (HTTP 요청이 기다리는 시간).
func lockProbe(stop <-chan struct{}) <-chan time.Duration {
	longest := make(chan time.Duration, 1)
	go func() {
		var most time.Duration
		for {
			select {
			case <-stop:
				longest <- most
				return
			default:
			}
			start := time.Now()
			mu.Lock()
			most = max(most, time.Since(start))
			mu.Unlock()
			time.Sleep(100 * time.Microsecond)
		}
	}()
	return longest
}

// 프레임 한계를 거의 채우는 가장 긴 체인(짧은 data 의 블록 20만 개쯤)을 받아도, 풀기와 해시와 머클 루트는 그 소켓의
// 고루틴이 mu 없이 하므로 mu 는 잠깐만 잡힌다. 그 체인에 대한 QUERY_ALL 의 답과 GET /blocks 도, 블록을 하나 더 붙인 뒤의
// 답도 그렇다.
func TestLargestChainHoldsTheLockBriefly(t *testing.T) {
	if raceEnabled() {
		t.Skip("the race detector makes every step several times slower; .ci/run runs this test without -race")
	}
	resetChain()
	t.Cleanup(func() { mu.Lock(); sockets = nil; mu.Unlock(); resetChain() })
	discardLog(t)
	perBlock := len(chainFrame(makeChain(2, "x"))) - len(chainFrame(makeChain(1, "x")))
	chain := makeChain(maxFrameBytes/perBlock, "x") // 뒤의 블록은 index 가 길어 조금 더 크다: 넘친 만큼 줄인다
	chain = chain[:int64(len(chain))*maxFrameBytes*98/100/int64(len(chainFrame(chain)))]
	frame := chainFrame(chain)
	if len(frame) > maxFrameBytes || len(frame) < maxFrameBytes*9/10 {
		t.Fatalf("test chain: %d bytes, want just under the %d-byte frame limit", len(frame), maxFrameBytes)
	}
	ws := newTestSocket("big")
	mu.Lock()
	sockets = []*socket{ws}
	mu.Unlock()
	for _, step := range []struct {
		name string
		do   func()
	}{
		{"receive the chain", func() { receive(ws, frame) }},
		{"answer QUERY_ALL", func() { receive(ws, []byte(`{"type":1,"data":null}`)) }},
		{"append a block", func() { receive(ws, chainFrame([]Block{nextBlock(chain[len(chain)-1], "one more")})) }},
		{"answer QUERY_ALL for the longer chain", func() { receive(ws, []byte(`{"type":1,"data":null}`)) }},
	} {
		stop := make(chan struct{})
		longest := lockProbe(stop)
		start := time.Now()
		step.do()
		took := time.Since(start)
		close(stop)
		held := <-longest
		t.Logf("%s (%d blocks, %.1f MiB): %v in all, mu held at most %v", step.name, len(chain), float64(len(frame))/(1<<20), took.Round(time.Millisecond), held.Round(100*time.Microsecond))
		// 보통 15 ms 쯤이다. 기계가 바쁠 때를 넉넉히 보아 50 ms 를 넘으면 실패한다: 해시를 mu 안에서 구하던 때는 200 ms 가 넘었다.
		if held > 50*time.Millisecond {
			t.Errorf("%s: mu was held for %v of %v, want about 10–20 ms", step.name, held, took)
		}
	}
	if got := len(chainNow()); got != len(chain)+1 {
		t.Errorf("chain: got %d blocks, want %d", got, len(chain)+1)
	}
	// 나눠 쓰는 답 프레임의 크기는 만들기 전에 센 값과 같고, 프레임 한계 안이다.
	mu.Lock()
	f := frameOf(responseChainMsg())
	mu.Unlock()
	built := f.build()
	if f.size != len(built) || f.size > maxFrameBytes || string(built) != string(stringify(f.message)) {
		t.Errorf("answer frame: counted %d bytes, built %d, want the same, at most %d and JSON.stringify(message)", f.size, len(built), maxFrameBytes)
	}
	drain(ws)
}

// 블록이 아닌 것으로 가득 찬 큰 프레임: 배열을 앞에서부터 풀다가 첫 항목에서 멈추므로, 드는 메모리는 프레임 크기의 몇 배를 넘지 않는다
// (프레임 전체를 []Block 으로 먼저 풀면 [0,0,…] 에 프레임의 170 배가 들었다).
func TestBadFrameMemoryStaysNearItsSize(t *testing.T) {
	n := startLocalNode(t)
	const size = 8 << 20
	next := nextBlock(getGenesisBlock(), "x")
	inData := func(element string) string { // 제네시스 다음 블록 하나, 그 data 가 element 로 가득 차 있다
		return response(strings.Replace(string(stringify([]Block{next})), `"data":["x"]`, `"data":[`+strings.Repeat(element+",", size/(len(element)+1))+`0]`, 1))
	}
	for _, tt := range []struct{ name, frame string }{
		{"[0,0,…] as the blocks", response("[" + strings.Repeat("0,", size/2) + "0]")},
		{"[{},{},…] as the blocks", response("[" + strings.Repeat("{},", size/3) + "{}]")},
		{`["x","x",…] as the blocks`, response("[" + strings.Repeat(`"x",`, size/4) + `"x"]`)},
		{"a block whose data is [0,0,…]", inData(`0`)},
		{`a block whose data is ["","",…]`, inData(`""`)},
		{"a block whose data is 63 nested arrays, many times", inData(strings.Repeat("[", 63) + "1" + strings.Repeat("]", 63))},
		{"a message with a million other keys", `{` + strings.Repeat(`"k":0,`, size/6) + `"type":9}`},
	} {
		frame := []byte(tt.frame)
		conn, _ := rawDial(t, n.p2p)
		before := n.countLog("Ignored message from")
		runtime.GC()
		baseline, stop := heapNow(), make(chan struct{})
		peak := heapPeak(stop)
		conn.Write(rawFrameHeader(1, uint64(len(frame)))) // 가림 키가 0 이라 내용을 그대로 보낸다: 이 쪽은 메모리를 더 쓰지 않는다
		conn.Write(frame)
		waitFor(t, "the frame to be refused", func() bool { return n.countLog("Ignored message from") > before })
		close(stop)
		used := <-peak - baseline
		t.Logf("%s, %.1f MiB: heap grew by %.1f MiB at most (%.1f×)", tt.name, float64(len(frame))/(1<<20), float64(used)/(1<<20), float64(used)/float64(len(frame)))
		// 프레임을 읽는 버퍼(자라면서 여러 번 할당된다), data 문자열, 읽은 값들이 프레임의 서너 배이고, 가비지 컬렉터가 아직 치우지
		// 않은 쓰레기가 그만큼 더 있다. data 를 다 읽은 뒤에 크기를 보던 때는 [0,0,…] 이 든 60 MB 프레임 하나에 3.5 GB 가 들었다.
		if used > 16*uint64(len(frame)) { // 기계가 바쁘면 가비지 컬렉터가 늦어 쓰레기가 더 쌓인다
			t.Errorf("%s: refusing a %d-byte frame grew the heap by %d bytes, want at most 16× the frame", tt.name, len(frame), used)
		}
		if got := len(chainNow()); got != 1 {
			t.Errorf("%s: chain has %d blocks, want 1", tt.name, got)
		}
	}
}

// 알림은 한 번만 JSON 으로 바꿔 모든 소켓이 같은 바이트를 나눠 쓰고, 피어가 보낸 블록의 data 는 1 MiB 까지이다.
func TestBroadcastEncodesOnceAndLimitsBlockData(t *testing.T) {
	n := startLocalNode(t)
	data := strings.Repeat("x", 512<<10)
	mine := func() (Block, uint64) {
		before := allocated()
		b := n.mine(data)
		return b, allocated() - before
	}
	_, alone := mine() // 피어 없이 블록 하나를 생성하는 데 드는 메모리
	const peers = 40
	for range peers {
		rawDial(t, n.p2p) // 읽지 않는 피어
	}
	waitFor(t, "all peers", func() bool { return len(socketsNow()) == peers })
	mined, withPeers := mine()
	frame := len(chainFrame([]Block{mined}))
	t.Logf("mining a %d-byte block allocated %.1f MiB alone and %.1f MiB with %d peers (the broadcast frame is %d bytes)",
		len(data), float64(alone)/(1<<20), float64(withPeers)/(1<<20), peers, frame)
	// 경쟁 탐지기를 켜면 소켓마다 쓰는 작은 할당이 커져 프레임의 13 배쯤이 된다. 소켓마다 프레임을 만들면 40 배가 넘는다.
	if extra := int64(withPeers) - int64(alone); extra > int64(peers/2*frame) {
		t.Errorf("%d peers added %d bytes to mining a block, want less than %d (encoding the %d-byte frame once per peer would add %d)",
			peers, extra, peers/2*frame, frame, peers*frame)
	}

	// 피어가 보낸 블록: data 가 maxBlockDataBytes 를 넘으면 거절, 딱 그만큼이면 붙인다.
	ws := dialWS(t, n.p2p)
	receiveMsg(t, ws)
	chain := chainNow()
	tip := chain[len(chain)-1]
	tooBig := nextBlock(tip, strings.Repeat("y", maxBlockDataBytes-3)) // ["yyy…"]: 1 MiB 보다 1 바이트 크다
	send(t, ws, string(chainFrame([]Block{tooBig})))
	n.waitLog("invalid block structure")
	fits := nextBlock(tip, strings.Repeat("y", maxBlockDataBytes-4))
	send(t, ws, string(chainFrame([]Block{fits})))
	waitFor(t, "the 1 MiB block to be appended", func() bool { return len(chainNow()) == len(chain)+1 })
	if got := chainNow()[len(chain)]; !blockEqual(got, fits) {
		t.Errorf("the appended block has %d bytes of data, want the one of exactly %d bytes as JSON", dataBytes(got.Data), maxBlockDataBytes)
	}
}

// 받아 가지 않는 피어들이 QUERY_ALL 과 QUERY_LATEST 를 쏟아 부어도, 한 소켓의 대기열에 같은 답은 하나뿐이고, 모든 대기열의
// 서로 다른 프레임은 합쳐서 maxQueuedBytes 를 넘지 않는다: 새 판의 답이 넘치게 하면 넣기 전에 가장 오래 밀린 피어를 닫는다.
// 그래도 새로 온 정직한 노드는 체인을 받는다.
func TestQueuedFramesAreBounded(t *testing.T) {
	n := startLocalNode(t)
	chain := makeChain(20000, "q") // 답 하나(약 5 MiB)가 커널의 보내기 버퍼(많아야 4 MiB)보다 커서 다 나가지 못한다
	setChain(chain)
	reply := len(chainFrame(chain))
	mu.Lock()
	oldBudget := maxQueuedBytes
	maxQueuedBytes = 4 * reply
	mu.Unlock()
	t.Cleanup(func() { mu.Lock(); maxQueuedBytes = oldBudget; mu.Unlock() })

	const attackers, queries = 16, 20
	var names []string
	for i := range attackers {
		conn, _ := rawDial(t, n.p2p)            // 답을 읽지 않는다
		conn.(*net.TCPConn).SetReadBuffer(4096) // 커널의 버퍼가 답들을 받아 두지 못하도록 작게
		names = append(names, conn.LocalAddr().String())
		for range queries {
			writeRawFrame(t, conn, `{"type":1,"data":null}`)
			writeRawFrame(t, conn, `{"type":0,"data":null}`)
		}
		writeRawFrame(t, conn, `{"type":9,"data":null}`) // 여기까지 처리했다는 표시 (모르는 type 은 로그가 남는다)
		waitFor(t, names[i]+"'s queries to be handled", func() bool {
			return n.countLog(names[i]+": unknown type 9") > 0 || n.countLog("Connection failed to peer: "+names[i]) > 0
		})
		n.mine(fmt.Sprint("version ", i)) // 다음 공격자는 다른 판의 체인을 묻는다: 그 답은 새 프레임이다
		mu.Lock()
		for _, ws := range getSockets() {
			if len(ws.send) > 3+attackers {
				t.Errorf("socket %s has %d frames waiting, want each answer once (and the broadcasts)", ws.addr, len(ws.send))
			}
		}
		if queuedBytes > maxQueuedBytes {
			t.Errorf("queued bytes: got %d, want at most %d", queuedBytes, maxQueuedBytes)
		}
		mu.Unlock()
	}
	// 정직한 새 노드는 체인 전체를 받아 같은 체인을 갖는다.
	want := chainNow()
	honest := startNode(t, "honest", n.p2p)
	honest.waitLog("Received blockchain is valid. Replacing current blockchain with received blockchain")
	if got := honest.blocks(); !slices.EqualFunc(got, want, blockEqual) {
		t.Errorf("the honest node: got %d blocks, want the %d-block chain", len(got), len(want))
	}
	if n.countLog("its frames waited longest") == 0 {
		t.Errorf("no slow peer was closed to make room; log:\n%s", n.logText())
	}
}

// 가짜 블록 80 개(엄청난 index, 틀린 previousHash)를 받아도, 체인 전체는 그 블록을 보낸 피어에게만 묻고(블록마다 22 바이트)
// 정직한 이웃에게는 묻지 않는다: 이웃들은 연결된 채로 남고 그 뒤의 블록도 퍼진다.
func TestFakeTipsDoNotCutHonestPeers(t *testing.T) {
	v := startLocalNode(t)
	a := startNode(t, "A", v.p2p)
	b := startNode(t, "B", v.p2p)
	waitFor(t, "A and B to connect", func() bool { return len(socketsNow()) == 2 })
	for i := range 20 {
		a.mine(fmt.Sprint("A ", i))
	}
	waitSameChain(t, v, a, b)
	watcher := dialWS(t, v.p2p)
	receiveMsg(t, watcher)
	attacker := dialWS(t, v.p2p)
	receiveMsg(t, attacker)
	for i := range 80 {
		fake := Block{Header: BlockHeader{"2.1.0", 1_000_000_000 + int64(i), h(fmt.Sprint("fake ", i)), 1700000000, h("x")}, Data: vals("x")}
		send(t, attacker, string(chainFrame([]Block{fake})))
	}
	// 각 연결에 QUERY_LATEST 를 보내 그 답이 올 때까지 받은 것을 센다: 그 사이에 노드가 보낸 QUERY_ALL 이 다 보인다.
	queriesTo := func(ws *websocket.Conn) int {
		send(t, ws, `{"type":0,"data":null}`)
		count := 0
		for {
			m := receiveMsg(t, ws)
			if m.Type == QUERY_ALL {
				count++
			}
			if m.Type == RESPONSE_BLOCKCHAIN {
				return count
			}
		}
	}
	if got := queriesTo(attacker); got != 80 {
		t.Errorf("QUERY_ALL sent to the peer with fake blocks: got %d, want 80 (one small query back per fake block)", got)
	}
	if got := queriesTo(watcher); got != 0 {
		t.Errorf("QUERY_ALL sent to an honest peer: got %d, want 0", got)
	}
	if got := len(socketsNow()); got != 4 {
		t.Errorf("sockets: got %d, want 4 (A, B, the watcher and the attacker)", got)
	}
	after := a.mine("after the fake blocks")
	chain := waitSameChain(t, v, a, b)
	if !blockEqual(chain[len(chain)-1], after) {
		t.Errorf("the block mined after the attack did not spread")
	}
}

// 블록의 JSON 은 JSON.stringify 처럼 < 를 그대로 쓴다: 1 MiB 짜리 < 블록 열 개인 체인도 프레임 하나(약 10 MiB)에 들어 새 노드가 받는다.
// (< 를 \u003c 로 쓰고 메시지에서 한 번 더 바꾸면 70 MiB 가 되어 64 MiB 한계를 넘었다.)
func TestChainOfAngleBracketsStillSyncs(t *testing.T) {
	n := startLocalNode(t)
	data := strings.Repeat("<", maxBodyBytes-100)
	for range 10 {
		n.mine(data)
	}
	chain := chainNow()
	frame := len(chainFrame(chain))
	if frame > 11<<20 {
		t.Errorf("ten blocks of %d '<' are %d bytes on the wire, want about 10 MiB", len(data), frame)
	}
	peer := startNode(t, "peer", n.p2p)
	peer.waitLog("Received blockchain is valid. Replacing current blockchain with received blockchain")
	if got := peer.blocks(); !slices.EqualFunc(got, chain, blockEqual) {
		t.Errorf("the new node: got %d blocks, want the %d-block chain", len(got), len(chain))
	}
}

// 다른 사이트의 웹 페이지가 브라우저를 시켜 보낸 POST 는 403 이고 노드는 그대로이다. curl 처럼 그런 헤더가 없는 요청은 된다.
func TestCrossOriginRequestsAreRefused(t *testing.T) {
	n := startLocalNode(t)
	for _, headers := range []map[string]string{
		{"Sec-Fetch-Site": "cross-site", "Content-Type": "text/plain"},
		{"Origin": "http://evil.example", "Content-Type": "text/plain"},
	} {
		for _, path := range []string{"/mineBlock", "/addPeers", "/stop"} {
			if got := request(t, "POST", n.http+path, `{"data":["from a web page"]}`, headers); got.status != http.StatusForbidden {
				t.Errorf("POST %s with %v: got %d, want 403", path, headers, got.status)
			}
		}
	}
	select {
	case <-stopping:
		t.Fatal("a cross-origin POST /stop stopped the node")
	default:
	}
	if got := len(chainNow()); got != 1 {
		t.Errorf("chain after cross-origin requests: got %d blocks, want 1", got)
	}
	if got := request(t, "POST", n.http+"/mineBlock", `{"data":["from curl"]}`, nil); got.status != http.StatusOK {
		t.Errorf("POST /mineBlock without browser headers: got %d, want 200", got.status)
	}
}

// 피어 연결이 아무리 많이 와도 노드는 maxPeers 개만 받고, HTTP API 는 계속 답한다.
func TestConnectionLimitKeepsHTTPAnswering(t *testing.T) {
	a := startNode(t, "A")
	host := strings.TrimPrefix(a.p2p, "ws://")
	for range 300 {
		conn, err := net.Dial("tcp", host)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		fmt.Fprintf(conn, "GET / HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
			"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", host)
	}
	waitFor(t, "A to take maxPeers connections", func() bool { return len(a.peers()) == maxPeers })
	if got := len(a.blocks()); got != 1 {
		t.Errorf("GET /blocks with 300 peers knocking: got %d blocks, want 1", got)
	}
	a.mine("still answering")
	if got := len(a.peers()); got != maxPeers {
		t.Errorf("peers: got %d, want %d", got, maxPeers)
	}
}

// 연결이 프레임 중간에서 닫히면 잘린 내용은 메시지로 읽지 않는다: 읽기 에러로 연결을 닫을 뿐이다.
func TestTruncatedFrameIsNotAMessage(t *testing.T) {
	n := startLocalNode(t)
	conn, r := rawDial(t, n.p2p)
	readRawFrame(r)                                                       // 노드가 보낸 QUERY_LATEST 를 읽어 둔다: 읽지 않은 것이 남은 채 닫으면 커널이 FIN 대신 RST 를 보낸다
	part := `{"type":0,"da`                                               // 메시지의 앞부분만: 읽어 보면 JSON 이 아니다
	conn.Write(append(rawFrameHeader(1, uint64(len(part))+100), part...)) // 머리는 100 바이트를 더 보낸다고 한다
	conn.Close()
	waitFor(t, "the socket to close", func() bool { return len(socketsNow()) == 0 })
	n.waitLog("(connection closed)")
	if c := n.countLog("Ignored message"); c != 0 {
		t.Errorf("a truncated frame was read as a message: %d \"Ignored message\" lines; log:\n%s", c, n.logText())
	}
}

// 포트를 이미 쓰고 있으면 노드는 어느 플래그나 환경 변수를 바꿀지 말하고 0 이 아닌 코드로 끝난다. Listening 줄은 찍지 않는다.
func TestPortInUseSaysWhichFlag(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	port := strconv.Itoa(taken.Addr().(*net.TCPAddr).Port)
	cmd := exec.Command(os.Args[0], "-http_port=0", "-p2p_host=127.0.0.1", "-p2p_port="+port)
	cmd.Env = append(os.Environ(), childEnv+"=1")
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "-p2p_port or P2P_PORT") || strings.Contains(string(out), "Listening") {
		t.Errorf("P2P port in use: got %v and %q, want a non-zero exit that names -p2p_port or P2P_PORT and no Listening line", err, out)
	}
}

// 쓰기의 시간 제한은 프레임을 보낸 뒤 지운다: 노드가 마지막으로 쓴 뒤 그 시간 제한보다 오래 조용하던 피어가 핑을 보내도 퐁이
// 나가고 연결은 그대로이다 (지우지 않던 때는 퐁을 쓰다가 i/o timeout 으로 연결이 닫혔다).
func TestPingAfterAQuietSpellKeepsTheConnection(t *testing.T) {
	n := startQuickNode(t, "quick") // writeTimeout 1초
	conn, r := rawDial(t, n.p2p)
	conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	if _, _, err := readRawFrame(r); err != nil { // 노드가 쓴 QUERY_LATEST
		t.Fatal(err)
	}
	writeRawFrame(t, conn, `{"type":0,"data":null}`)
	if _, _, err := readRawFrame(r); err != nil { // 노드가 쓴 답
		t.Fatal(err)
	}
	<-time.After(2 * time.Second) // 시간 제한이 남아 있었다면 지났을 만큼 조용히 있는다
	conn.Write(append(rawFrameHeader(9, 5), "hello"...))
	if opcode, payload, err := readRawFrame(r); err != nil || opcode != 10 || string(payload) != "hello" {
		t.Fatalf("after a quiet spell, a ping got opcode %d %q (%v), want a pong \"hello\"", opcode, payload, err)
	}
	writeRawFrame(t, conn, `{"type":1,"data":null}`) // 아직 받지 않은 답을 묻는다 (같은 답은 한 번만 온다)
	if opcode, _, err := readRawFrame(r); err != nil || opcode != 1 {
		t.Errorf("QUERY_ALL after the ping: got opcode %d (%v), want an answer", opcode, err)
	}
	if c := n.countLog("Connection failed to peer"); c != 0 {
		t.Errorf("the node closed %d connections, want 0; log:\n%s", c, n.logText())
	}
}

// 챕터의 노드는 연결하자마자 QUERY_LATEST 를 보낸다: 첫 메시지를 dialTimeout 안에 보내지 않는 연결은 닫혀, 말없이 들어오는
// 자리(maxPeers)를 채운 연결들이 새 피어를 막지 못한다. 말하는 연결은 그대로이다.
func TestSilentConnectionIsClosed(t *testing.T) {
	n := startQuickNode(t, "quick") // dialTimeout 1초
	conn, silent := rawDial(t, n.p2p)
	conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	talking := dialWS(t, n.p2p)
	receiveMsg(t, talking)
	send(t, talking, `{"type":0,"data":null}`)
	receiveBlocks(t, talking)
	n.waitLog("(no message within 1s)")
	readRawFrame(silent) // QUERY_LATEST
	if opcode, _, err := readRawFrame(silent); err == nil && opcode != 8 {
		t.Errorf("the silent connection: got a frame with opcode %d, want it closed", opcode)
	}
	if got := len(n.peers()); got != 1 {
		t.Errorf("peers after the silent one was closed: got %d, want the talking one", got)
	}
}

// GET /blocks 는 체인이 바뀌기 전까지 한 번 만든 JSON 을 나눠 쓰고, 답을 읽지 않는 클라이언트가 있어도 API 는 멈추지 않는다.
func TestBlocksShareOneEncoding(t *testing.T) {
	n := startLocalNode(t)
	chain := makeChain(2000, "blocks")
	setChain(chain)
	body := len(stringify(chain))
	host := strings.TrimPrefix(n.http, "http://")
	get := func() net.Conn {
		conn, err := net.Dial("tcp", host)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		fmt.Fprintf(conn, "GET /blocks HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", host)
		return conn
	}
	for range 20 {
		get() // 답을 읽지 않는다
	}
	if n, err := io.Copy(io.Discard, get()); err != nil || n < int64(body) { // 체인의 JSON 을 처음 만든다
		t.Fatalf("GET /blocks: read %d bytes (%v), want the %d-byte chain", n, err, body)
	}
	const requests = 20
	before := allocated()
	for range requests {
		n, err := io.Copy(io.Discard, get())
		if err != nil || n < int64(body) {
			t.Fatalf("GET /blocks: read %d bytes (%v), want the %d-byte chain", n, err, body)
		}
	}
	used := allocated() - before
	t.Logf("%d GET /blocks of a %d-byte chain allocated %.1f MiB", requests, body, float64(used)/(1<<20))
	if used > uint64(requests/2*body) {
		t.Errorf("%d GET /blocks allocated %d bytes, want less than %d (encoding the chain for each request would take more)", requests, used, requests/2*body)
	}
	if got := n.mine("while others do not read"); got.Header.Index != 2000+1 {
		t.Errorf("mined block index: got %d, want 2001", got.Header.Index)
	}
}

// /addPeers 는 요청 하나에 maxPeers 개의 주소까지 받고, 연결했거나 연결하는 중인 피어는 모두 합쳐 maxPeers 개까지이다.
func TestAddPeersLimitsURLsAndDials(t *testing.T) {
	n := startLocalNode(t)
	tooMany := make([]string, maxPeers+1)
	for i := range tooMany {
		tooMany[i] = fmt.Sprintf("ws://127.0.0.1:%d", 10000+i)
	}
	body := string(stringify(map[string][]string{"peers": tooMany}))
	if status, resp := httpDo(t, "POST", n.http+"/addPeers", body); status != 400 || !strings.Contains(resp, "at most") {
		t.Errorf("POST /addPeers with %d peers: got %d %s, want 400", len(tooMany), status, resp)
	}
	// 핸드셰이크에 답하지 않는 리스너 80 개: 연결 시도는 dialTimeout 까지 걸려 있다. 두 요청으로 나눠 보낸다.
	var accepted atomic.Int32
	var held []net.Conn
	var heldMu sync.Mutex
	var urls []string
	for range 80 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ln.Close() })
		urls = append(urls, "ws://"+ln.Addr().String())
		go func() {
			for {
				conn, err := ln.Accept()
				if err != nil {
					return
				}
				accepted.Add(1)
				heldMu.Lock()
				held = append(held, conn)
				heldMu.Unlock()
			}
		}()
	}
	n.addPeers(urls[:40]...)
	n.addPeers(urls[40:]...)
	skipped := fmt.Sprintf("already connected or connecting to %d peers", maxPeers)
	waitFor(t, "the dials over the limit to be skipped", func() bool { return n.countLog(skipped) == 80-maxPeers })
	waitFor(t, "maxPeers connections", func() bool { return accepted.Load() == maxPeers })
	// 리스너가 연결을 닫으면 시도가 끝나고 자리가 빈다.
	heldMu.Lock()
	for _, c := range held {
		c.Close()
	}
	heldMu.Unlock()
	waitFor(t, "the dials to end", func() bool { mu.Lock(); defer mu.Unlock(); return dialing == 0 })
	if got := accepted.Load(); got != maxPeers {
		t.Errorf("connections the node opened: got %d, want %d", got, maxPeers)
	}
}

// ---------- 동시성 ----------

func TestConcurrentMiningLosesNothingAndBroadcastsInOrder(t *testing.T) {
	n := startLocalNode(t)
	peer := startNode(t, "peer", n.p2p)
	watcher := dialWS(t, n.p2p)
	receiveMsg(t, watcher) // QUERY_LATEST
	waitFor(t, "both peers", func() bool { return len(socketsNow()) == 2 })

	const requests = 300
	mined := make([]Block, requests)
	var wg sync.WaitGroup
	for i := range requests {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp := request(t, "POST", n.http+"/mineBlock", fmt.Sprintf(`{"data":["request %d"]}`, i), nil)
			if resp.status != 200 {
				t.Errorf("request %d: got %d %s, want 200", i, resp.status, resp.body)
				return
			}
			if err := json.Unmarshal([]byte(resp.body), &mined[i]); err != nil {
				t.Errorf("request %d: %v", i, err)
			}
		}()
	}
	wg.Wait()

	chain := chainNow()
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
		blocks := receiveBlocks(t, watcher)
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
	receiveMsg(t, watcher) // QUERY_LATEST
	waitFor(t, "the watcher", func() bool { return len(socketsNow()) == 1 })
	const workers, perWorker = 4, 200 // 대기열(maxQueued)에 다 들어가는 수
	received := make(chan error, 1)
	go func() {
		for want := int64(1); want <= workers*perWorker; want++ {
			watcher.SetReadDeadline(time.Now().Add(20 * time.Second))
			var data string
			if err := websocket.Message.Receive(watcher, &data); err != nil {
				received <- err
				return
			}
			blocks, err := blocksOf(data)
			if err != nil {
				received <- err
				return
			}
			if len(blocks) != 1 || blocks[0].Header.Index != want {
				received <- fmt.Errorf("got %d blocks ending at index %d, want block %d alone", len(blocks), blocks[len(blocks)-1].Header.Index, want)
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
				mu.Lock()
				b := mineBlock(vals(fmt.Sprint(w, i)))
				mu.Unlock()
				if b == nil {
					t.Errorf("mineBlock failed")
				}
			}
		}()
	}
	wg.Wait()
	if err := <-received; err != nil {
		t.Fatalf("watcher: %v", err)
	}
	if got := len(chainNow()); got != workers*perWorker+1 {
		t.Errorf("chain: got %d blocks, want %d", got, workers*perWorker+1)
	}
}

func TestMiningWhileChainsArriveFromSeveralPeers(t *testing.T) {
	n := startLocalNode(t)
	b := startNode(t, "B", n.p2p)
	c := startNode(t, "C", n.p2p)
	waitFor(t, "B and C to connect", func() bool { return len(socketsNow()) == 2 })
	var wg sync.WaitGroup
	for _, node := range []*testNode{n, n, b, c} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 40 {
				resp := request(t, "POST", node.http+"/mineBlock", fmt.Sprintf(`{"data":["%s %d"]}`, node.name, i), nil)
				if resp.status != 200 {
					t.Errorf("%s: POST /mineBlock: got %d, want 200", node.name, resp.status)
					return
				}
			}
		}()
	}
	wg.Wait()
	for _, node := range []*testNode{n, b, c} {
		if chain := node.blocks(); !isValidChain(chain) {
			t.Errorf("%s's chain is not valid after concurrent mining", node.name)
		}
	}
	// 같은 길이의 두 갈래는 챕터의 규칙(더 긴 체인)으로 가를 수 없다. 이 노드의 체인이 가장 긴 것만큼 될 때까지 블록을
	// 생성하고 하나를 더 생성하면 이 체인이 가장 길다: 그 알림을 받은 두 노드는 체인 전체를 물어 이 체인으로 바꾼다.
	for len(chainNow()) < max(len(b.blocks()), len(c.blocks())) {
		n.mine("catching up")
	}
	n.mine("tie breaker")
	if chain := waitSameChain(t, n, b, c); !isValidChain(chain) {
		t.Error("final chain is not valid")
	}
}

// ---------- 퍼즈 테스트 ----------

// FuzzHandleMessage 는 아무 바이트나 메시지로 넣어 본다. 그 뒤에도 노드의 체인은 올바르고, 노드는 QUERY_LATEST 에
// 자기 최신 블록으로 답하며, 올바른 다음 블록이 오면 붙인다.
func FuzzHandleMessage(f *testing.F) {
	for _, tt := range badFrames() {
		// 200 KB 짜리 깊은 JSON 두 개는 빼고 심는다: 변형마다 그만큼을 복사하고 디코딩해 퍼즈가 느려진다.
		// 그 둘은 TestBadPeerFramesAreLoggedAndIgnored 가 확인한다.
		if len(tt.frame) <= 4096 {
			f.Add([]byte(tt.frame))
		}
	}
	chain := makeChain(3, "seed")
	f.Add(chainFrame(chain))      // 체인 전체
	f.Add(chainFrame(chain[1:2])) // 제네시스 바로 다음 블록 하나
	f.Add([]byte(`{"type":0,"data":null}`))
	f.Add([]byte(`{"type":1,"data":null}`))
	log.SetOutput(io.Discard)
	f.Cleanup(func() { log.SetOutput(os.Stderr); resetChain() })
	f.Fuzz(func(t *testing.T, data []byte) {
		resetChain()
		ws := newTestSocket("fuzz")
		receive(ws, data)
		drain(ws)
		chain := chainNow()
		if !isValidChain(chain) {
			t.Fatalf("chain became invalid after %q", data)
		}
		latest := chain[len(chain)-1]
		probe := newTestSocket("probe") // 새 소켓: 같은 답은 한 소켓에 한 번만 가므로
		receive(probe, []byte(`{"type":0,"data":null}`))
		want := string(chainFrame([]Block{latest}))
		if got := drain(probe); len(got) != 1 || got[0] != want {
			t.Fatalf("after %q, QUERY_LATEST got %q, want %s", data, got, want)
		}
		next := nextBlock(latest, "fuzz")
		receive(ws, chainFrame([]Block{next}))
		drain(ws)
		if got := chainNow(); len(got) != len(chain)+1 || !blockEqual(got[len(got)-1], next) {
			t.Fatalf("after %q, a valid next block was not appended (chain has %d blocks, want %d)", data, len(got), len(chain)+1)
		}
	})
}

// ---------- 챕터의 자바스크립트 노드와 한 네트워크 (testdata/jsnode) ----------

// TestInteropWithJSNode 는 Go 노드와 자바스크립트 노드(testdata/jsnode)를 진짜 프로세스로 함께 돌린다.
// (a) Go 가 다른 갈래에서 앞선 JS 에 연결해 따라잡고, (b) JS 가 다른 갈래에서 앞선 Go 에 연결해 따라잡고,
// (c) 줄 J1-G1-J2-G2 에서 네 노드가 돌아가며 생성한 블록이 모두에게 가고, (d) 한글, <&>, 빈 data, 해시인 잎이 든 블록의
// 머클 루트와 해시가 양쪽에서 같고, (e) 끝에 GET /blocks 와 RESPONSE_BLOCKCHAIN 프레임이 바이트까지 같은지 본다.
func TestInteropWithJSNode(t *testing.T) {
	node := requireJSNode(t)
	var all []*testNode
	t.Cleanup(func() { // 가장 먼저 등록했으므로 노드들이 멈춘 뒤에 돈다
		if t.Failed() {
			for _, n := range all {
				t.Logf("---- %s's log ----\n%s", n.name, n.logText())
			}
		}
	})
	j1 := startJSNode(t, node, "JS node J1")
	g1 := startNode(t, "Go node G1")
	all = append(all, j1, g1)

	if got, want := j1.getRaw("/version"), "2.1.0"; got != want {
		t.Errorf("J1 GET /version: got %q, want %q", got, want)
	}

	// (a) G1 이 다른 갈래에서 앞선 J1 에 연결해 따라잡는다: QUERY_LATEST, QUERY_ALL, replaceChain.
	for i := range 3 {
		j1.mine(fmt.Sprintf("J1 fork block %d", i+1))
	}
	g1.mine("G1 fork block 1")
	want := j1.blocks()
	g1.addPeers(j1.p2p)
	if got := waitSameChain(t, g1, j1); !slices.EqualFunc(got, want, blockEqual) {
		t.Errorf("(a) G1 after dialing J1: got %d blocks, want J1's %d blocks", len(got), len(want))
	}
	g1.waitLog("We have to query the chain from our peer")
	g1.waitLog("Received blockchain is valid. Replacing current blockchain with received blockchain")
	j1.waitLog("Received blockchain is not longer than current blockchain. Do nothing")
	if got, want := g1.peers(), []string{strings.TrimPrefix(j1.p2p, "ws://")}; !slices.Equal(got, want) {
		t.Errorf("(a) G1's peers: got %v, want %v", got, want)
	}
	if got := j1.peers(); len(got) != 1 || !strings.HasPrefix(got[0], "127.0.0.1:") {
		t.Errorf("(a) J1's peers: got %v, want one 127.0.0.1:port", got)
	}

	// (b) G1 이 블록 둘을 더 생성하고(J1 도 받는다), 다른 갈래의 J2 가 앞선 G1 에 연결해 따라잡는다.
	j2 := startJSNode(t, node, "JS node J2")
	all = append(all, j2)
	j2.mine("J2 fork block 1")
	for i := range 2 {
		mined := g1.mine(fmt.Sprintf("G1 block %d", i+1))
		waitFor(t, "J1 to receive G1's block", func() bool { return j1.tip() == calculateHashForBlock(mined) })
	}
	j1.waitLog("We can append the received block to our chain")
	want = g1.blocks()
	j2.addPeers(g1.p2p)
	if got := waitSameChain(t, g1, j1, j2); !slices.EqualFunc(got, want, blockEqual) {
		t.Errorf("(b) J2 after dialing G1: got %d blocks, want G1's %d blocks", len(got), len(want))
	}
	j2.waitLog("We have to query the chain from our peer")
	j2.waitLog("Received blockchain is valid. Replacing current blockchain with received blockchain")

	// G2 는 자기 갈래의 블록 하나를 들고 J2 에 연결한다. 이제 줄 J1 - G1 - J2 - G2 가 된다.
	g2 := startNode(t, "Go node G2")
	all = append(all, g2)
	g2.mine("G2 fork block 1")
	g2.addPeers(j2.p2p)
	waitSameChain(t, j1, g1, j2, g2)
	waitFor(t, "the line J1-G1-J2-G2 to connect", func() bool {
		return len(j1.peers()) == 1 && len(g1.peers()) == 2 && len(j2.peers()) == 2 && len(g2.peers()) == 1
	})
	nodes := []*testNode{j1, g1, j2, g2}
	waitTip := func(what string, b Block) {
		t.Helper()
		hash := calculateHashForBlock(b)
		for _, n := range nodes {
			waitFor(t, fmt.Sprintf("%s to hold %s", n.name, what), func() bool { return n.tip() == hash })
		}
	}

	// (c) 네 노드가 돌아가며 생성한다. 끝의 노드가 생성한 블록은 JS 와 Go 를 모두 거쳐 반대쪽 끝에 닿는다.
	for round := range 2 {
		for _, n := range []*testNode{j1, g2, j2, g1} {
			what := fmt.Sprintf("%s's block of round %d", n.name, round+1)
			waitTip(what, n.mine(what))
		}
	}
	for _, n := range []*testNode{j1, j2} {
		n.waitLog("We can append the received block to our chain")
	}

	// (d) 까다로운 데이터: 같은 데이터를 J1 과 G2 가 번갈아 생성한다. Go 가 생성한 블록은 JS 가 자기 해시와 머클 루트로 검사해 받고,
	// JS 가 생성한 블록의 merkleRoot 와 previousHash(JS 가 계산한 앞 블록의 해시)는 Go 의 계산과 같아야 한다.
	// JSON.stringify 가 이스케이프하거나 그대로 두는 글자들: 두 노드가 똑같이 적어야 한다.
	const escapes = "tab\t nl\n cr\r quote\" backslash\\ bell\x07 bs\b ff\f us\x1f del\x7f é 😀 ls\u2028 ps\u2029 text\\u2028"
	cases := []struct {
		name string
		data []string
		root string // 챕터의 규칙대로 따로 계산한 머클 루트
	}{
		{"Korean", []string{"한글 데이터: 안녕하세요, 블록체인"}, h("한글 데이터: 안녕하세요, 블록체인")},
		{"<&>", []string{"<&>"}, h("<&>")},
		{"empty data", []string{}, strings.Repeat("0", 64)},
		{"hash leaf", []string{genesisHash}, genesisHash},
		{"JSON escapes", []string{escapes}, h(escapes)},
		{"three leaves", []string{"한글", "<&>", genesisHash}, h(h(h("한글")+h("<&>")) + genesisHash)},
	}
	for _, c := range cases {
		for _, n := range []*testNode{j1, g2} {
			b := n.mine(c.data...)
			waitTip(fmt.Sprintf("%s's %s block", n.name, c.name), b)
			if !dataEqual(b.Data, vals(c.data...)) || b.Data == nil {
				t.Errorf("(d) %s's %s block: got data %q, want %q", n.name, c.name, b.Data, c.data)
			}
			if b.Header.MerkleRoot != c.root {
				t.Errorf("(d) %s's %s block: got merkleRoot %s, want %s", n.name, c.name, b.Header.MerkleRoot, c.root)
			}
			if n == j1 {
				if got, want := b.Header.MerkleRoot, merkleRootOf(b.Data); got != want {
					t.Errorf("(d) J1's %s block: got merkleRoot %s, Go's merkleRootOf gives %s", c.name, got, want)
				}
				if got, want := b.Header.Version, "2.1.0"; got != want {
					t.Errorf("(d) J1's %s block: got version %q, want %q", c.name, got, want)
				}
			}
		}
	}
	// 모든 블록의 previousHash 는 앞 블록을 생성한 쪽이 아닌, 이 블록을 생성한 쪽이 계산했다. Go 의 계산과 모두 같아야 한다.
	chain := j1.blocks()
	for i := 1; i < len(chain); i++ {
		if got, want := chain[i].Header.PreviousHash, calculateHashForBlock(chain[i-1]); got != want {
			t.Errorf("(d) block %d's previousHash: got %s, Go's calculateHashForBlock of block %d gives %s", i, got, i-1, want)
		}
	}

	// (e) 같은 체인을 든 네 노드의 GET /blocks 와 RESPONSE_BLOCKCHAIN 프레임은 바이트까지 같아야 한다.
	chain = waitSameChain(t, nodes...)
	wantBody, wantFrame := j1.getRaw("/blocks"), ""
	for _, n := range nodes[1:] {
		if got := n.getRaw("/blocks"); got != wantBody {
			t.Errorf("(e) %s's GET /blocks differs from J1's: %s", n.name, firstDiff(got, wantBody))
		}
	}
	for _, n := range nodes {
		frame := chainFrameOf(t, n)
		if blocks, err := blocksOf(frame); err != nil || !slices.EqualFunc(blocks, chain, blockEqual) {
			t.Errorf("(e) %s's answer to QUERY_ALL: got %d blocks in %.60q…, want the chain of %d blocks itself",
				n.name, len(blocks), frame, len(chain))
		}
		if n == j1 {
			wantFrame = frame
		} else if frame != wantFrame {
			t.Errorf("(e) %s's RESPONSE_BLOCKCHAIN frame differs from J1's: %s", n.name, firstDiff(frame, wantFrame))
		}
	}
}

// interopCase 는 POST /mineBlock 에 그대로 보내는 몸체 하나와, 두 노드가 모두 적어야 할 data 의 JSON
// (JSON.stringify(JSON.parse(몸체).data || [])), 그리고 챕터의 규칙(잎은 String(value))대로 따로 계산한 머클 루트이다.
type interopCase struct {
	body, wantData, wantRoot string
}

// interopCases 는 챕터의 노드가 생성하는 모든 종류의 data 이다. 기대값은 node 20 의 JSON.stringify 와 String() 이 내는 값이다.
func interopCases() []interopCase {
	zeros := strings.Repeat("0", 64)
	pair := func(a, b string) string { return h(h(a) + h(b)) }
	return []interopCase{
		{`{"data":[1,2]}`, `[1,2]`, pair("1", "2")},
		{`{"data":[null]}`, `[null]`, h("null")},
		{`{"data":[true,false]}`, `[true,false]`, pair("true", "false")},
		{`{"data":[{"a":1}]}`, `[{"a":1}]`, h("[object Object]")},
		// 같은 키는 뒤의 값이 앞의 자리에 남고, 배열 첨자 같은 키가 작은 차례로 먼저 온다.
		{`{"data":[{ "b": 1, "2": 2, "1": 3, "b": 5 }]}`, `[{"1":3,"2":2,"b":5}]`, h("[object Object]")},
		// String([1,[2,null]]) 은 "1,2," 이고 String([]) 은 "" 이다.
		{`{"data":[[1,[2,null]],[]]}`, `[[1,[2,null]],[]]`, pair("1,2,", "")},
		// 다섯 잎: 홀수로 남은 마지막 잎은 그대로 올라간다.
		{`{"data":[1.0, 1e21, 1e-7, -0, 0.1]}`, `[1,1e+21,1e-7,0,0.1]`,
			h(h(h(h("1")+h("1e+21"))+h(h("1e-7")+h("0"))) + h("0.1"))},
		// \u2028 은 JSON.stringify 가 이스케이프하지 않는다: data 에는 그 문자 그대로 적힌다.
		{`{"data":["한글","<&>","\u2028"]}`, "[\"한글\",\"<&>\",\"\u2028\"]", h(h(h("한글")+h("<&>")) + h("\u2028"))},
		// 64글자 대문자 16진수인 잎은 해시하지 않고 그대로 쓴다.
		{`{"data":["` + genesisHash + `"]}`, `["` + genesisHash + `"]`, genesisHash},
		{`{"data":[]}`, `[]`, zeros},
		{`{}`, `[]`, zeros}, // req.body.data || []
	}
}

// interopMined 는 노드 하나가 POST /mineBlock 으로 생성해 돌려준 블록이다: 다른 쪽이 같은 몸체로 생성한 블록과 견주려고 모은다.
type interopMined struct {
	node       string
	data, root string
}

// interopRejections 는 노드가 피어의 블록이나 메시지를 거절하거나 흘려 보냈을 때 남기는 로그이다 (소문자로 견준다).
// Go 노드: "invalid block structure", "Invalid index|previousHash|merkleRoot", "Received blockchain invalid",
// "Ignored message from", "Not adding block", "Not sending to". JS 노드(testdata/jsnode/main.js): "Invalid …",
// "Received blockchain invalid", "Ignored …", "Cannot compute merkleRoot", "Send failed".
// 블록마다 알림이 제때 닿았다면 어느 노드도 체인 전체를 물을 일이 없다 ("We have to query the chain from our peer").
// "Connection failed" 는 여기에 없다: chainFrameOf 가 닫는 연결도 그 줄을 남긴다. 쌍의 연결이 끊기지 않았는지는 따로 본다.
var interopRejections = []string{"invalid", "ignored", "cannot compute", "not adding block", "not sending",
	"send failed", "stringify:", "we have to query the chain", "received blockchain is longer"}

// TestInteropWithJSNodeAnyData 는 챕터처럼 data 가 아무 JSON 값의 배열인 블록을 JS 노드와 Go 노드가 함께 다루는지 본다.
// 두 쌍을 진짜 프로세스로 띄운다: 쌍 1 은 Go 노드 G1 이 JS 노드 J1 에 연결하고(-peers), 쌍 2 는 JS 노드 J2 가 Go 노드 G2 에
// 연결한다(POST /addPeers). 쌍마다 interopCases 의 몸체를 하나씩 양쪽에서 생성한다 (쌍 1 은 J 먼저, 쌍 2 는 G 먼저).
// (1) POST /mineBlock 이 돌려준 블록의 바이트는 JSON.stringify 의 꼴이고, data 와 merkleRoot 는 따로 계산한 값과 같으며
// 네 노드가 같은 몸체로 생성한 블록끼리도 같다. (2) 블록마다 상대 노드에 퍼진다 (상대는 그 블록을 붙인다).
// (3) 끝에 쌍마다 J 와 G 의 GET /blocks 와 QUERY_ALL 에 대한 RESPONSE_BLOCKCHAIN 프레임이 바이트까지 같다.
// (4) 어느 노드도 거절하거나 흘려 보낸 로그를 남기지 않았다.
func TestInteropWithJSNodeAnyData(t *testing.T) {
	node := requireJSNode(t)
	began := time.Now()
	var all []*testNode
	t.Cleanup(func() { // 가장 먼저 등록했으므로 노드들이 멈춘 뒤에 돈다
		if t.Failed() {
			for _, n := range all {
				t.Logf("---- %s's log ----\n%s", n.name, n.logText())
			}
		}
		t.Logf("TestInteropWithJSNodeAnyData took %v", time.Since(began).Round(time.Millisecond))
	})

	// 쌍 1: G1 이 J1 에 연결한다. 쌍 2: J2 가 G2 에 연결한다.
	j1 := startJSNode(t, node, "JS node J1")
	all = append(all, j1)
	g1 := startNode(t, "Go node G1", j1.p2p)
	all = append(all, g1)
	j2 := startJSNode(t, node, "JS node J2")
	all = append(all, j2)
	g2 := startNode(t, "Go node G2")
	all = append(all, g2)
	j2.addPeers(g2.p2p)

	type interopPair struct {
		name            string
		js, gn          *testNode
		dialer, dialled *testNode
		order           []*testNode // 같은 몸체를 생성하는 차례
	}
	pairs := []interopPair{
		{"pair 1 (G1 dials J1)", j1, g1, g1, j1, []*testNode{j1, g1}},
		{"pair 2 (J2 dials G2)", j2, g2, j2, g2, []*testNode{g2, j2}},
	}
	for _, p := range pairs {
		waitFor(t, p.name+" to connect", func() bool { return len(p.dialer.peers()) == 1 && len(p.dialled.peers()) == 1 })
		// 연결한 쪽은 상대의 P2P 포트를, 받은 쪽은 상대가 연 임시 포트를 보인다: 연결의 방향이 맞는지 본다.
		if got, want := p.dialer.peers(), []string{strings.TrimPrefix(p.dialled.p2p, "ws://")}; !slices.Equal(got, want) {
			t.Errorf("%s: %s's peers: got %v, want %v", p.name, p.dialer.name, got, want)
		}
		if got := p.dialled.peers(); len(got) != 1 || got[0] == strings.TrimPrefix(p.dialer.p2p, "ws://") {
			t.Errorf("%s: %s's peers: got %v, want one inbound 127.0.0.1:port that is not %s's P2P port",
				p.name, p.dialled.name, got, p.dialer.name)
		}
	}

	cases := interopCases()
	mined := make([][]interopMined, len(cases)) // 몸체마다 네 노드가 생성한 블록의 data 와 merkleRoot
	for _, p := range pairs {
		tip := getGenesisBlock()
		responses := []string{string(stringify(tip))} // GET /blocks 는 생성한 블록들을 이어 붙인 것이어야 한다
		for i, c := range cases {
			for _, n := range p.order {
				status, resp := httpDo(t, "POST", n.http+"/mineBlock", c.body)
				var b Block
				if err := json.Unmarshal([]byte(resp), &b); status != 200 || err != nil {
					t.Fatalf("%s: %s POST /mineBlock %s: got %d %s (%v), want 200 and a block", p.name, n.name, c.body, status, resp, err)
				}
				// (1) 블록 전체가 JSON.stringify 의 꼴이고, index, previousHash, data, merkleRoot 가 모두 맞는다.
				want := fmt.Sprintf(`{"header":{"version":"2.1.0","index":%d,"previousHash":"%s","timestamp":%d,"merkleRoot":"%s"},"data":%s}`,
					tip.Header.Index+1, calculateHashForBlock(tip), b.Header.Timestamp, c.wantRoot, c.wantData)
				if resp != want {
					t.Errorf("%s: %s POST /mineBlock %s:\n got %s\nwant %s\n%s", p.name, n.name, c.body, resp, want, firstDiff(resp, want))
				}
				if now := time.Now().Unix(); b.Header.Timestamp < began.Unix()-1 || b.Header.Timestamp > now+1 {
					t.Errorf("%s: %s POST /mineBlock %s: got timestamp %d, want between %d and %d", p.name, n.name, c.body,
						b.Header.Timestamp, began.Unix()-1, now+1)
				}
				_, data, _ := strings.Cut(resp, `},"data":`) // 헤더에는 안쪽 객체가 없으므로 처음의 "},"data":" 가 헤더의 끝이다
				mined[i] = append(mined[i], interopMined{n.name, strings.TrimSuffix(data, "}"), b.Header.MerkleRoot})
				responses = append(responses, resp)
				tip = b

				// (2) 블록이 상대 노드에 퍼진다: 두 노드의 마지막 블록이 이 블록이다. 상대가 거절한 로그를 남기면 30초를
				// 기다리지 않고 바로 멈춘다.
				hash := calculateHashForBlock(b)
				for _, other := range p.order {
					waitFor(t, fmt.Sprintf("%s to hold %s's block for %s", other.name, n.name, c.body),
						func() bool { return other.tip() == hash || len(interopRejected(other)) > 0 })
					if lines := interopRejected(other); len(lines) > 0 {
						t.Fatalf("%s: %s's block for %s (%s): got %s logging %q, want the block appended",
							p.name, n.name, c.body, resp, other.name, lines)
					}
				}
			}
		}

		// (3) 두 노드의 체인이 같고, GET /blocks 와 RESPONSE_BLOCKCHAIN 프레임이 바이트까지 같다.
		chain := waitSameChain(t, p.dialer, p.dialled)
		if got, want := len(chain), 1+len(p.order)*len(cases); got != want {
			t.Errorf("%s: chain length: got %d, want %d", p.name, got, want)
		}
		wantBody := "[" + strings.Join(responses, ",") + "]"
		jsNode, goNode := p.js, p.gn
		jsBody, goBody := jsNode.getRaw("/blocks"), goNode.getRaw("/blocks")
		if jsBody != wantBody {
			t.Errorf("%s: %s's GET /blocks is not the mined blocks joined: %s", p.name, jsNode.name, firstDiff(jsBody, wantBody))
		}
		if goBody != jsBody {
			t.Errorf("%s: %s's GET /blocks differs from %s's: %s", p.name, goNode.name, jsNode.name, firstDiff(goBody, jsBody))
		}
		// 쌍의 연결은 끝까지 끊기지 않았다 (chainFrameOf 의 연결이 닫히며 남기는 줄보다 먼저 본다).
		for _, n := range p.order {
			if got := n.countLog("Connection failed"); got != 0 {
				t.Errorf("%s: %s logged %d \"Connection failed\" lines, want 0", p.name, n.name, got)
			}
		}
		jsFrame, goFrame := chainFrameOf(t, jsNode), chainFrameOf(t, goNode)
		if goFrame != jsFrame {
			t.Errorf("%s: %s's RESPONSE_BLOCKCHAIN frame differs from %s's: %s", p.name, goNode.name, jsNode.name, firstDiff(goFrame, jsFrame))
		}
		for _, f := range []struct {
			n     *testNode
			frame string
		}{{jsNode, jsFrame}, {goNode, goFrame}} {
			if blocks, err := blocksOf(f.frame); err != nil || !slices.EqualFunc(blocks, chain, blockEqual) {
				t.Errorf("%s: %s's answer to QUERY_ALL: got %d blocks (%v) in %.60q…, want the chain of %d blocks",
					p.name, f.n.name, len(blocks), err, f.frame, len(chain))
			}
		}
		// 상대가 생성한 블록은 모두 하나씩 받아 붙였다.
		for _, n := range p.order {
			if got, want := n.countLog("We can append the received block to our chain"), len(cases); got != want {
				t.Errorf("%s: %s appended %d received blocks, want %d", p.name, n.name, got, want)
			}
		}
	}

	// (1) 같은 몸체로 생성한 네 블록의 data 와 merkleRoot 는 서로 같다 (J1 의 것에 견준다).
	for i, c := range cases {
		first := mined[i][0]
		for _, m := range mined[i][1:] {
			if m.data != first.data || m.root != first.root {
				t.Errorf("POST /mineBlock %s: %s's block has data %s and merkleRoot %s, %s's has data %s and merkleRoot %s",
					c.body, m.node, m.data, m.root, first.node, first.data, first.root)
			}
		}
	}

	// (4) 어느 노드도 거절한 로그를 남기지 않았다.
	for _, n := range all {
		if lines := interopRejected(n); len(lines) > 0 {
			t.Errorf("%s logged %q, want no line with any of %q", n.name, lines, interopRejections)
		}
	}
}

// interopRejected 는 노드의 로그에서 interopRejections 의 하나가 든 줄들이다.
func interopRejected(n *testNode) []string {
	var found []string
	for _, line := range strings.Split(n.logText(), "\n") {
		for _, bad := range interopRejections {
			if strings.Contains(strings.ToLower(line), bad) {
				found = append(found, line)
				break
			}
		}
	}
	return found
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
		data := make([]json.RawMessage, leaves)
		for i := range data {
			data[i] = stringify(fmt.Sprintf("transaction %d", i))
		}
		b.Run(fmt.Sprintf("leaves=%d", leaves), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				merkleRootOf(data)
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

// BenchmarkReceiveChain 은 새 노드가 체인 전체를 RESPONSE_BLOCKCHAIN 하나로 받아 풀고, 검증하고, 바꾸는 데 드는 시간이다.
// 같은 반복 안에서 같은 바이트를 encoding/json 으로 풀기만 하는 시간도 재어 decode-ns/op 와 그 비(receive/decode)를 함께 보인다.
func BenchmarkReceiveChain(b *testing.B) {
	log.SetOutput(io.Discard)
	b.Cleanup(func() { log.SetOutput(os.Stderr); resetChain() })
	for _, blocks := range []int{10000, 40000} {
		frame := chainFrame(makeChain(blocks, "bench"))
		b.Run(fmt.Sprintf("blocks=%d", blocks), func(b *testing.B) {
			var decode, received time.Duration
			b.SetBytes(int64(len(frame)))
			for b.Loop() {
				b.StopTimer() // ns/op 는 받기만 잰다: 풀기만 하는 시간은 decode-ns/op 로 따로 보인다
				start := time.Now()
				if got, err := blocksOf(string(frame)); err != nil || len(got) != blocks+1 {
					b.Fatalf("decoded %d blocks (%v)", len(got), err)
				}
				decode += time.Since(start)
				resetChain()
				ws := newTestSocket("bench")
				b.StartTimer()

				start = time.Now()
				receive(ws, frame)
				received += time.Since(start)
				if got := len(chainNow()); got != blocks+1 {
					b.Fatalf("chain has %d blocks after receiving, want %d", got, blocks+1)
				}
			}
			b.ReportMetric(float64(received.Nanoseconds())/float64(b.N), "receive-ns/op")
			b.ReportMetric(float64(decode.Nanoseconds())/float64(b.N), "decode-ns/op")
			b.ReportMetric(float64(received)/float64(decode), "receive/decode")
		})
	}
}

// BenchmarkSyncFromPeer 는 새 노드(이 프로세스)가 블록 10,000 개를 가진 피어(자식 프로세스)에
// 연결해 QUERY_LATEST, QUERY_ALL, 체인 교체를 거쳐 같은 체인을 가질 때까지의 시간이다.
func BenchmarkSyncFromPeer(b *testing.B) {
	const blocks = 10000
	n := startLocalNode(b)
	setChain(makeChain(blocks, "sync"))
	peer := startNode(b, "peer", n.p2p) // 피어가 이 노드에서 체인을 받아 간다
	peer.waitLog("Replacing current blockchain")
	closeAllSockets(b)
	for b.Loop() {
		b.StopTimer()
		resetChain()
		b.StartTimer()
		mu.Lock()
		connectToPeers([]string{peer.p2p})
		mu.Unlock()
		waitFor(b, "the chain to sync", func() bool { return len(chainNow()) == blocks+1 })
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
			// 두 쪽이 모두 소켓을 목록에 넣은 뒤에 시작한다: 그 전에 생성한 블록의 알림은 피어에게 가지 않는다.
			waitFor(b, "the miner to connect", func() bool { return len(socketsNow()) == 1 && len(miner.peers()) == 1 })
			hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
			start := len(chainNow())
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
			waitFor(b, "the peer to hold every block", func() bool { return len(chainNow()) == start+b.N })
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
	frame := chainFrame(makeChain(blocks, "bench"))
	var held uint64
	for b.Loop() {
		resetChain()
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		receive(newTestSocket("bench"), frame)
		runtime.GC()
		runtime.ReadMemStats(&after)
		if len(chainNow()) != blocks+1 {
			b.Fatal("chain not replaced")
		}
		held = after.HeapAlloc - before.HeapAlloc
	}
	b.ReportMetric(float64(held)/(1<<20), "MiB-for-40000-blocks")
	b.ReportMetric(float64(held)/blocks, "B/block")
}

// ---------- README ----------

// TestReadmeFunctionTable 은 README 의 「챕터의 함수와 Go 함수」 표에 적힌 Go 함수가 정말 그 파일에 있는지,
// 그리고 챕터의 함수가 모두 표에 있는지 본다. 표의 첫 칸에서 `이름` 처럼 적힌 것이 함수 이름이다.
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
	rows := strings.Split(strings.TrimSpace(table), "\n")
	if len(rows) < 3 {
		t.Fatalf("the function table has %d lines, want a header, a separator and rows", len(rows))
	}
	listed := map[string]bool{}
	for _, row := range rows[2:] {
		cells := strings.Split(row, "|")
		if len(cells) != 4 {
			t.Errorf("table row %q: want 2 cells", row)
			continue
		}
		file := strings.Trim(cells[2], " `")
		src, err := os.ReadFile(file)
		if err != nil {
			t.Errorf("table row %q: %v", row, err)
			continue
		}
		for _, m := range regexp.MustCompile("`([A-Za-z_][A-Za-z0-9_]*)`").FindAllStringSubmatch(cells[1], -1) {
			name := m[1]
			if !regexp.MustCompile(`(?m)^func ` + name + `\(`).Match(src) {
				t.Errorf("README says %s is in %s, but %s has no func %s", name, file, file, name)
			}
			listed[name] = true
		}
	}
	for _, name := range []string{"initHttpServer", "initP2PServer", "getSockets", "initConnection", "initMessageHandler",
		"initErrorHandler", "closeConnection", "connectToPeers", "handleBlockchainResponse", "queryAllMsg",
		"queryChainLengthMsg", "responseChainMsg", "responseLatestMsg", "write", "broadcast", "mineBlock", "replaceChain",
		"getBlockchain", "getLatestBlock", "getGenesisBlock", "generateNextBlock", "getCurrentVersion", "getCurrentTimestamp",
		"addBlock", "calculateHash", "calculateHashForBlock", "isValidNewBlock", "isValidBlockStructure", "isValidChain"} {
		if !listed[name] {
			t.Errorf("README's function table has no row for the chapter's %s", name)
		}
	}
}

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
	header := BlockHeader{"2.1.0", prev.Header.Index + 1, calculateHashForBlock(prev),
		1700000000 + prev.Header.Index + 1, merkleRootOf(vals(data...))}
	return Block{Header: header, Data: vals(data...)}
}

// vals 는 문자열들을 JSON 문자열 값의 배열(블록의 data)로 만든다.
func vals(strs ...string) []json.RawMessage {
	data := []json.RawMessage{}
	for _, s := range strs {
		data = append(data, stringify(s))
	}
	return data
}

func dataEqual(a, b []json.RawMessage) bool {
	return slices.EqualFunc(a, b, func(x, y json.RawMessage) bool { return bytes.Equal(x, y) })
}

func blockEqual(a, b Block) bool { return a.Header == b.Header && dataEqual(a.Data, b.Data) }

// chainFrame 은 blocks 를 담은 RESPONSE_BLOCKCHAIN 프레임이다 (받는 쪽이 보는 바이트).
func chainFrame(blocks []Block) []byte { return []byte(response(string(stringify(blocks)))) }

// response 는 blocks(JSON 글)를 data 문자열에 담은 RESPONSE_BLOCKCHAIN 메시지이다.
func response(blocks string) string {
	return string(stringify(Message{Type: RESPONSE_BLOCKCHAIN, Data: &blocks}))
}

// blocksOf 는 RESPONSE_BLOCKCHAIN 프레임을 encoding/json 으로 그냥 풀어 그 블록들을 돌려준다.
func blocksOf(frame string) ([]Block, error) {
	var m Message
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

// newTestSocket 은 연결도 쓰기 고루틴도 없이 대기열만 있는 소켓이다: handleMessage 를 바로 부를 때 쓴다.
// 보낸 것은 대기열에 쌓이고 drain 으로 꺼낸다.
func newTestSocket(addr string) *socket {
	ws := &socket{addr: addr, send: make(chan *frame, maxQueued), closed: make(chan struct{}), queued: map[*frame]bool{}}
	initMessageHandler(ws)
	initErrorHandler(ws)
	return ws
}

// drain 은 소켓의 대기열에 쌓인 프레임들을 꺼낸다 (writeLoop 가 보낸 것처럼 센 값도 줄인다).
func drain(ws *socket) []string {
	mu.Lock()
	defer mu.Unlock()
	var frames []string
	for {
		select {
		case f := <-ws.send:
			sent(ws, f)
			frames = append(frames, string(f.build()))
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

// answer 는 HTTP 답이다. 요청이 실패하면 status 가 0 이고 body 가 그 까닭이다.
type answer struct {
	status int
	header http.Header
	body   string
}

// request 는 HTTP 요청을 보내고 답을 돌려준다. 고루틴에서도 부를 수 있도록 테스트를 멈추지 않는다.
func request(t testing.TB, method, url, body string, headers map[string]string) answer {
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		return answer{body: err.Error()}
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		return answer{body: err.Error()}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return answer{body: err.Error()}
	}
	return answer{resp.StatusCode, resp.Header, string(b)}
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
