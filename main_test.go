package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// 이 파일은 챕터의 차례를 따른다. 먼저 챕터의 함수마다 그 이름의 테스트가 main.js 의 차례대로 있고(TestGetGenesisBlock …
// TestReplaceChain), 진짜 노드 여럿으로 챕터를 돌려 보는 테스트가 뒤따른다. 행의 이름이 「챕터와 다른 점」으로 시작하면 그 행은
// 이 포트가 챕터와 다르게 하는 것이다. 「---- 챕터에 없는 것 ----」 아래는 챕터에 없는 것(자바스크립트처럼 JSON 읽기,
// 한계마다 한 행인 표, 퍼즈, 자바스크립트 노드와 함께 돌리기, 벤치마크)이고, 맨 끝의 「테스트 도우미」는 노드를 띄우는 도구이다.

// ---------- 챕터 1: 블록과 해시 (main.js 의 차례) ----------

// genesisHash 는 챕터의 노드가 만드는 제네시스 블록의 해시이다.
const genesisHash = "C8CD3F1A0BCF8EE28A559D2DE7A4A871E684BFAFEEAAF996C8FCFA5B247B6129"

func TestGetGenesisBlock(t *testing.T) {
	g := getGenesisBlock()
	const wantMerkle = "A6D72BAA3DB900B03E70DF880E503E9164013B4D9A470853EDC115776323A098"
	if got := g.Header.MerkleRoot.String(); got != wantMerkle {
		t.Errorf("genesis merkleRoot: got %s, want %s", got, wantMerkle)
	}
	if got := calculateHashForBlock(g).String(); got != genesisHash {
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
	if b.Header.Version != "2.1.0" || b.Header.Index != 1 || b.Header.PreviousHash.String() != genesisHash ||
		b.Header.MerkleRoot != hh("a") || string(b.Data) != `["a"]` {
		t.Errorf("next block: got %s, want version 2.1.0, index 1, the genesis hash and merkle root h(\"a\")", stringify(b))
	}
	if b.Header.Timestamp < before || b.Header.Timestamp > after {
		t.Errorf("timestamp: got %d, want between %d and %d", b.Header.Timestamp, before, after)
	}
	if got := len(chainNow()); got != 1 {
		t.Errorf("generateNextBlock changed the chain: got %d blocks, want 1", got)
	}
}

func TestAddBlock(t *testing.T) {
	chain := makeChain(3, "a")
	fill := func(b Block, bytes, values int) Block { // 이 블록을 붙인 체인의 답이 bytes 바이트, data 값 values 개가 되게 적어 둔다
		b.own = cost{int32(bytes - len(chainFrame(chain[:2]))), int32(values)}
		return b
	}
	discardLog(t)
	for _, tt := range []struct {
		name  string
		held  []Block
		block Block
		want  bool
	}{
		{"the next block is appended", chain[:2], chain[2], true},
		{"a block that is already held is not", chain[:3], chain[2], false},
		{"a block after a gap is not", chain[:1], chain[2], false},
		{"챕터와 다른 점: a block whose chain just fills one frame is appended", chain[:2], fill(chain[2], maxFrameBytes, 2), true},
		{"챕터와 다른 점: a block whose chain's answer passes 64 MiB is not", chain[:2], fill(chain[2], maxFrameBytes+1, 2), false},
		{"챕터와 다른 점: a block whose chain passes 2^20 data values is not", chain[:2], fill(chain[2], 1000, maxLeaves+1), false},
	} {
		setChain(slices.Clone(tt.held))
		mu.Lock()
		got := addBlock(tt.block)
		mu.Unlock()
		if wantLen := len(tt.held) + map[bool]int{true: 1}[tt.want]; got != tt.want || len(chainNow()) != wantLen {
			t.Errorf("%s: got %v and %d blocks, want %v and %d", tt.name, got, len(chainNow()), tt.want, wantLen)
		}
	}
	resetChain()
}

func TestCalculateHash(t *testing.T) {
	a, b := hh("a"), hh("b")
	got := calculateHash("2.1.0", 7, a, 1700000000, b)
	if want := hh("2.1.0" + "7" + a.String() + "1700000000" + b.String()); got != want {
		t.Errorf("calculateHash: got %s, want %s", got, want)
	}
}

// TestMerkleRoot 는 merkleRootOf 를 npm merkle 0.6.0 이 낸 값(testdata/jsnode/vectors.js 를 node 로 돌려 만든
// merkle-vectors.json)과, 챕터의 규칙대로 이 테스트에서 따로 계산한 값에 견준다.
func TestMerkleRoot(t *testing.T) {
	file, err := os.ReadFile("testdata/jsnode/merkle-vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var vectors []struct {
		Data []json.RawMessage
		Root string
		Text []string
	}
	if err := json.Unmarshal(file, &vectors); err != nil {
		t.Fatal(err)
	}
	for _, v := range vectors {
		data, err := canonicalJSON(stringify(v.Data)) // 파일의 1e-07 같은 수를 JSON.stringify 의 형식으로
		if err != nil {
			t.Fatal(err)
		}
		for i, value := range v.Data {
			value, _ := canonicalJSON(value)
			if got := leafText(value); got != v.Text[i] {
				t.Errorf("String(%s): got %q, want %q", value, got, v.Text[i])
			}
		}
		if got := merkleRootOf(data).String(); got != v.Root {
			t.Errorf("merkle root of %s: got %s, want %s (npm merkle)", data, got, v.Root)
		}
	}
	a, b, c, d, e := hh("a").String(), hh("b").String(), hh("c").String(), hh("d").String(), hh("e").String()
	for _, tt := range []struct {
		name string
		data []string
		want Hash
	}{
		{"no data: 64 zeros", []string{}, Hash{}},
		{"3 leaves: the odd one moves up", []string{"a", "b", "c"}, hh(hh(a+b).String() + c)},
		{"5 leaves", []string{"a", "b", "c", "d", "e"}, hh(hh(hh(a+b).String()+hh(c+d).String()).String() + e)},
		{"an uppercase hash leaf is kept", []string{genesisHash}, calculateHashForBlock(getGenesisBlock())},
		{"a lowercase hash leaf is hashed", []string{strings.ToLower(genesisHash)}, hh(strings.ToLower(genesisHash))},
	} {
		if got := merkleRootOf(vals(tt.data...)); got != tt.want {
			t.Errorf("%s: got %s, want %s", tt.name, got, tt.want)
		}
	}
}

func TestIsValidNewBlock(t *testing.T) {
	genesis := getGenesisBlock()
	valid := makeChain(1, "v")[1]
	for _, tt := range []struct {
		name   string
		change func(b *Block)
		want   string // 남겨야 할 챕터의 로그 (맞는 블록이면 "")
	}{
		{"valid block", func(b *Block) {}, ""},
		{"empty data with 64 zeros as merkle root", func(b *Block) { b.Data, b.Header.MerkleRoot = vals(), Hash{} }, ""},
		{"data of every JSON kind", func(b *Block) {
			b.Data = json.RawMessage(`[1,null,true,{"a":[1]},[1,[null]]]`)
			b.Header.MerkleRoot = merkleRootOf(b.Data)
		}, ""},
		{"챕터와 다른 점: data null is not an array", func(b *Block) { b.Data = json.RawMessage(`null`) }, "invalid block structure"},
		{"index is not previous+1", func(b *Block) { b.Header.Index = 2 }, "Invalid index"},
		{"previousHash is not the previous block's hash", func(b *Block) { b.Header.PreviousHash = hh("other") }, "Invalid previousHash"},
		{"merkleRoot does not match data", func(b *Block) { b.Data = vals("changed") }, "Invalid merkleRoot"},
		{"empty data with a non-zero merkle root", func(b *Block) { b.Data = vals() }, "Invalid merkleRoot"},
	} {
		b := valid
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
		{"챕터와 다른 점: index above 2^53-1 (JavaScript would hash another number)", func(b *Block) { b.Header.Index = maxSafeInteger + 1 }, false},
		{"챕터와 다른 점: timestamp below -(2^53-1)", func(b *Block) { b.Header.Timestamp = -maxSafeInteger - 1 }, false},
		{"챕터와 다른 점: data null (typeof null is 'object')", func(b *Block) { b.Data = json.RawMessage(`null`) }, false},
		{"챕터와 다른 점: data an object", func(b *Block) { b.Data = json.RawMessage(`{}`) }, false},
		{"data of exactly 1 MiB as JSON", func(b *Block) { b.Data = vals(strings.Repeat("x", maxBlockDataBytes-4)) }, true},
		{"챕터와 다른 점: data one byte over 1 MiB", func(b *Block) { b.Data = vals(strings.Repeat("x", maxBlockDataBytes-3)) }, false},
	} {
		b := valid
		tt.change(&b)
		if got := isValidBlockStructure(b); got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestIsValidChain(t *testing.T) {
	change := func(n int, tag string, f func(chain []Block)) []Block {
		chain := makeChain(n, tag)
		f(chain)
		return chain
	}
	chain := makeChain(3, "c")
	discardLog(t)
	for _, tt := range []struct {
		name  string
		chain []Block
		want  bool
	}{
		{"genesis only", []Block{getGenesisBlock()}, true},
		{"three blocks on genesis", chain, true},
		{"another genesis", change(2, "f", func(c []Block) { c[0].Header.Timestamp++ }), false},
		{"genesis with other data", change(1, "g", func(c []Block) { c[0].Data = vals("other") }), false},
		{"a broken link", change(3, "b", func(c []Block) { c[2].Header.PreviousHash = hh("x") }), false},
		{"a wrong merkle root", change(3, "m", func(c []Block) { c[2].Data = vals("tampered") }), false},
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
	json := map[string]string{"Content-Type": "application/json"}
	for _, tt := range []struct {
		name, method, path, body string
		headers                  map[string]string
		wantStatus               int
		wantBody                 string // 앞부분
	}{
		{"GET /blocks: the chain", "GET", "/blocks", "", nil, 200, genesis},
		{"GET /version", "GET", "/version", "", nil, 200, "2.1.0"},
		{"GET /peers: none yet", "GET", "/peers", "", nil, 200, "[]"},
		{"POST /addPeers with no peers", "POST", "/addPeers", `{"peers":[]}`, json, 200, ""},
		{"POST /addpeers, the note's spelling", "POST", "/addpeers", `{}`, json, 200, ""},
		{"POST /mineBlock with no body: data || []", "POST", "/mineBlock", "", nil, 200, `{"header":{"version":"2.1.0","index":1,`},
		{"POST /mineBlock: data of any JSON values, written as JSON.stringify(JSON.parse(…))", "POST", "/mineBlock",
			`{"data":[1.0, "<&>", null, {"b":1,"b":2}]}`, json, 200, `{"header":{"version":"2.1.0","index":2,`},
		{"챕터와 다른 점: a body without Content-Type: application/json is 415 (the chapter mines an empty block)",
			"POST", "/mineBlock", `{"data":["x"]}`, map[string]string{"Content-Type": "text/plain"}, 415, `{"error":`},
		{"a body over 100 KB is 413, as body-parser", "POST", "/mineBlock", `{"data":["` + strings.Repeat("x", maxBodyBytes) + `"]}`, json, 413, `{"error":`},
		{"챕터와 다른 점: 1e400 is 400 (the chapter writes null)", "POST", "/mineBlock", `{"data":[1e400]}`, json, 400, `{"error":`},
		{"챕터와 다른 점: data that is not an array is 400", "POST", "/mineBlock", `{"data":"x"}`, json, 400, `{"error":`},
		{"챕터와 다른 점: a peer that is not a string is 400 (the chapter throws, 500)", "POST", "/addPeers", `{"peers":[1]}`, json, 400, `{"error":`},
		{"챕터와 다른 점: an unknown path is Go's 404 text", "GET", "/nothing", "", nil, 404, "404 page not found"},
		{"챕터와 다른 점: a wrong method is Go's 405 text", "GET", "/mineBlock", "", nil, 405, "Method Not Allowed"},
	} {
		resp := request(t, tt.method, n.http+tt.path, tt.body, tt.headers)
		if resp.status != tt.wantStatus || !strings.HasPrefix(resp.body, tt.wantBody) {
			t.Errorf("%s: got %d %.80q, want %d %.80q", tt.name, resp.status, resp.body, tt.wantStatus, tt.wantBody)
		}
	}
	if got, want := n.blocks()[2].Data, `[1,"<&>",null,{"b":2}]`; string(got) != want {
		t.Errorf("data of the mined block: got %s, want %s", got, want)
	}
}

// 챕터의 P2P 서버는 npm ws 처럼 Origin 머리 없이 연결해 와도 받고, 연결되면 바로 QUERY_LATEST 를 보낸다.
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

// 행마다 제네시스와 블록 1 을 가진 노드에 새 소켓으로 메시지 하나를 보내고, 그 소켓이 받은 것과 체인을 본다.
func TestInitMessageHandler(t *testing.T) {
	chain := makeChain(2, "m")
	t.Cleanup(func() { mu.Lock(); sockets = nil; mu.Unlock(); resetChain() })
	discardLog(t)
	for _, tt := range []struct {
		name, frame string
		want        []string // 그 소켓에 보낸 프레임
		wantBlocks  int
	}{
		{"QUERY_LATEST: answered with the latest block", `{"type":0,"data":null}`, []string{string(chainFrame(chain[1:2]))}, 2},
		{"QUERY_ALL: answered with the whole chain", `{"type":1,"data":null}`, []string{string(chainFrame(chain[:2]))}, 2},
		{"RESPONSE_BLOCKCHAIN: the next block is appended and broadcast", string(chainFrame(chain[2:])), []string{string(chainFrame(chain[2:]))}, 3},
		{"a type the chapter does not know: nothing", `{"type":3,"data":null}`, nil, 2},
		{"챕터와 다른 점: another key order is not read", `{"data":null,"type":1}`, nil, 2},
		{"챕터와 다른 점: a space is not read", `{"type":1, "data":null}`, nil, 2},
		{"챕터와 다른 점: 1.0 as the type is not read", `{"type":1.0,"data":null}`, nil, 2},
		{"챕터와 다른 점: TYPE is not type", `{"TYPE":1,"data":null}`, nil, 2},
		{"챕터와 다른 점: not JSON (the chapter's node dies)", `not json`, nil, 2},
	} {
		setChain(slices.Clone(chain[:2]))
		ws := newTestSocket("peer")
		mu.Lock()
		sockets = []*socket{ws}
		mu.Unlock()
		receive(ws, []byte(tt.frame))
		if got := drain(ws); !slices.Equal(got, tt.want) || len(chainNow()) != tt.wantBlocks {
			t.Errorf("%s: sent %q and %d blocks, want %q and %d", tt.name, got, len(chainNow()), tt.want, tt.wantBlocks)
		}
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
	for _, tt := range []struct{ name, peer, wantLog string }{
		{"a peer connects", other.p2p, ""},
		{"a peer that does not listen", "ws://127.0.0.1:1", "Connection failed: ws://127.0.0.1:1: dial tcp"},
		{"챕터와 다른 점: an address that is not ws:// is skipped", "http://127.0.0.1:1", "Connection failed: http://127.0.0.1:1: want an address like ws://host:port"},
		{"챕터와 다른 점: the node itself is skipped", n.p2p, "Connection failed: " + n.p2p + ": handshake refused"},
		{"챕터와 다른 점: an address already connected is skipped", other.p2p, "Connection failed: " + other.p2p + ": skipped"},
	} {
		mu.Lock()
		connectToPeers([]string{tt.peer})
		mu.Unlock()
		if tt.wantLog == "" {
			waitFor(t, tt.name, func() bool { return len(other.peers()) == 1 && len(n.peers()) == 1 })
		} else {
			n.waitLog(tt.wantLog)
		}
	}
	if got := socketsNow(); len(got) != 1 || got[0].url != other.p2p {
		t.Errorf("sockets: got %d, want one with url %q", len(got), other.p2p)
	}
}

// TestHandleBlockchainResponse 는 챕터의 세 분기와 else 를 하나씩 본다: 받은 블록을 붙이기, 체인 전체를 묻기, 체인을 교체하기,
// 더 길지 않으면 아무것도 하지 않기. 보낸 피어와 다른 피어가 무엇을 받았는지, 챕터의 어떤 로그를 남겼는지 본다.
func TestHandleBlockchainResponse(t *testing.T) {
	t.Cleanup(func() { mu.Lock(); sockets = nil; mu.Unlock(); resetChain() })
	chain, fork := makeChain(4, "h"), makeChain(2, "fork")
	badRoot := chain[2]
	badRoot.Data = vals("not the data of its merkle root")
	invalid := slices.Clone(chain)
	invalid[3].Data = vals("tampered")
	const behind, appendable = "Blockchain possibly behind. We got: ", "We can append the received block to our chain"
	for _, tt := range []struct {
		name           string
		held, received []Block
		wantLog        []string
		wantChain      []Block
		wantSender     []string
		wantOther      []string
	}{
		{"equal index (every new connection: genesis and genesis): nothing", chain[:1], chain[:1],
			[]string{"Received blockchain is not longer than current blockchain. Do nothing"}, chain[:1], nil, nil},
		{"a shorter chain: nothing", chain, fork,
			[]string{"Received blockchain is not longer than current blockchain. Do nothing"}, chain, nil, nil},
		{"the next block: appended and broadcast to every peer", chain[:2], chain[2:3],
			[]string{behind + "1,  Peer got: 2", appendable}, chain[:3],
			[]string{string(chainFrame(chain[2:3]))}, []string{string(chainFrame(chain[2:3]))}},
		{"several blocks whose last is on ours: appended", chain[:4], chain[2:],
			[]string{behind + "3,  Peer got: 4", appendable}, chain,
			[]string{string(chainFrame(chain[4:]))}, []string{string(chainFrame(chain[4:]))}},
		{"a next block that addBlock refuses: nothing sent", chain[:2], []Block{badRoot},
			[]string{behind + "1,  Peer got: 2", appendable, "Invalid merkleRoot"}, chain[:2], nil, nil},
		{"챕터와 다른 점: one block not on ours asks only its sender for the chain (the chapter asks every peer)", chain[:2], chain[3:4],
			[]string{behind + "1,  Peer got: 3", "We have to query the chain from our peer"}, chain[:2],
			[]string{`{"type":1,"data":null}`}, nil},
		{"a longer valid chain: replaced and broadcast", fork, chain,
			[]string{behind + "2,  Peer got: 4", "Received blockchain is longer than current blockchain",
				"Received blockchain is valid. Replacing current blockchain with received blockchain"}, chain,
			[]string{string(chainFrame(chain[4:]))}, []string{string(chainFrame(chain[4:]))}},
		{"a longer invalid chain: nothing", fork, invalid,
			[]string{behind + "2,  Peer got: 4", "Received blockchain is longer than current blockchain", "Invalid merkleRoot",
				"Received blockchain invalid"},
			fork, nil, nil},
	} {
		setChain(slices.Clone(tt.held))
		sender, other := newTestSocket("sender"), newTestSocket("other")
		mu.Lock()
		sockets = []*socket{sender, other}
		mu.Unlock()
		message, _, err := readMessage(chainFrame(tt.received))
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
			t.Errorf("%s: sent to the sender\n got %.200q\nwant %.200q", tt.name, got, tt.wantSender)
		}
		if got := drain(other); !slices.Equal(got, tt.wantOther) {
			t.Errorf("%s: sent to the other peer\n got %.200q\nwant %.200q", tt.name, got, tt.wantOther)
		}
	}
}

// write 가 보내는 바이트: 메시지를 JSON.stringify 한 것 그대로이다 (응답의 data 는 블록 배열의 JSON 문자열이다).
func TestWrite(t *testing.T) {
	resetChain()
	t.Cleanup(resetChain)
	b := Block{Header: BlockHeader{"2.1.0", 1, calculateHashForBlock(getGenesisBlock()), 1700000000, hh("a")}, Data: vals("a")}
	setChain(append([]Block{getGenesisBlock()}, b))
	block := `{\"header\":{\"version\":\"2.1.0\",\"index\":1,\"previousHash\":\"` + genesisHash +
		`\",\"timestamp\":1700000000,\"merkleRoot\":\"` + hh("a").String() + `\"},\"data\":[\"a\"]}`
	genesis := strings.ReplaceAll(string(stringify(getGenesisBlock())), `"`, `\"`)
	for _, tt := range []struct {
		name    string
		message func() Message
		want    string
	}{
		{"queryAllMsg", queryAllMsg, `{"type":1,"data":null}`},
		{"queryChainLengthMsg", queryChainLengthMsg, `{"type":0,"data":null}`},
		{"responseLatestMsg", responseLatestMsg, `{"type":2,"data":"[` + block + `]"}`},
		{"responseChainMsg (노트와 다른 점: the chain itself, not [chain])", responseChainMsg, `{"type":2,"data":"[` + genesis + `,` + block + `]"}`},
	} {
		ws := newTestSocket("peer")
		mu.Lock()
		write(ws, tt.message())
		mu.Unlock()
		if got := drain(ws); !slices.Equal(got, []string{tt.want}) {
			t.Errorf("write(%s):\n got %q\nwant %s", tt.name, got, tt.want)
		}
	}
}

// broadcast 는 모든 소켓에 같은 바이트를 보내고, 그 바이트는 모든 소켓이 나눠 가진 프레임 하나이다.
func TestBroadcast(t *testing.T) {
	t.Cleanup(func() { mu.Lock(); sockets = nil; mu.Unlock(); resetChain() })
	chain := makeChain(1, "b")
	setChain(chain)
	peers := []*socket{newTestSocket("in"), newTestSocket("out"), newTestSocket("closed")}
	peers[1].url = "ws://127.0.0.1:1" // 우리가 연결한 소켓도 똑같이 받는다
	peers[2].close(errors.New("gone"))
	mu.Lock()
	sockets = peers
	broadcast(responseLatestMsg())
	queued := queuedBytes
	mu.Unlock()
	want := string(chainFrame(chain[1:]))
	for i, wantFrames := range [][]string{{want}, {want}, nil} {
		if got := drain(peers[i]); !slices.Equal(got, wantFrames) {
			t.Errorf("socket %s: got %q, want %q", peers[i].addr, got, wantFrames)
		}
	}
	if queued != len(want) {
		t.Errorf("queued bytes while two sockets held the broadcast: got %d, want one frame's %d", queued, len(want))
	}
}

func TestMineBlock(t *testing.T) {
	resetChain()
	t.Cleanup(func() { mu.Lock(); sockets = nil; mu.Unlock(); resetChain() })
	watcher := newTestSocket("watcher")
	mu.Lock()
	sockets = []*socket{watcher}
	b := mineBlock(vals())
	noData := mineBlock(json.RawMessage(`null`)) // data 가 배열이 아닌 블록은 구조 검사가 거절한다 (HTTP 는 빠진 data 를 [] 로 바꾼다)
	mu.Unlock()
	if b == nil || !strings.HasSuffix(string(stringify(b)), `"data":[]}`) || b.Header.Index != 1 || b.Header.MerkleRoot != (Hash{}) {
		t.Fatalf("mineBlock([]): got %s, want block 1 with \"data\":[] and 64 zeros as merkle root", stringify(b))
	}
	if noData != nil {
		t.Errorf("mineBlock(null): got a block %s, want nil", stringify(noData))
	}
	if got := len(chainNow()); got != 2 {
		t.Errorf("chain: got %d blocks, want 2", got)
	}
	if sent := drain(watcher); !slices.Equal(sent, []string{string(chainFrame([]Block{*b}))}) {
		t.Errorf("broadcast after mining: got %q, want one RESPONSE_BLOCKCHAIN with the new block", sent)
	}
}

func TestReplaceChain(t *testing.T) {
	t.Cleanup(resetChain)
	discardLog(t)
	long, other := makeChain(3, "long"), makeChain(3, "other")
	invalid := slices.Clone(other)
	invalid[3].Data = vals("tampered")
	for _, tt := range []struct {
		name       string
		held, with []Block
		want       []Block
	}{
		{"a longer valid chain replaces", makeChain(1, "short"), long, long},
		{"a shorter chain does not", long, makeChain(2, "short"), long},
		{"an invalid longer chain does not", makeChain(1, "short"), invalid, makeChain(1, "short")},
	} {
		setChain(tt.held)
		mu.Lock()
		replaceChain(tt.with)
		mu.Unlock()
		if got := chainNow(); !slices.EqualFunc(got, tt.want, blockEqual) {
			t.Errorf("%s: got %d blocks, want %d", tt.name, len(got), len(tt.want))
		}
	}
	// 같은 길이의 올바른 체인: 챕터의 random.boolean() 처럼 반반의 확률로 교체한다. 64 번 중 양쪽이 다 나와야 한다.
	replaced := 0
	for range 64 {
		setChain(long)
		mu.Lock()
		replaceChain(other)
		replaced += map[bool]int{true: 1}[blockEqual(getLatestBlock(), other[3])]
		mu.Unlock()
	}
	if replaced == 0 || replaced == 64 {
		t.Errorf("same-length chain, 64 tries: replaced %d times, want both outcomes", replaced)
	}
}

// ---------- 챕터 2: 여러 노드, 진짜 HTTP 와 웹소켓 ----------

func TestBlockMinedOnAReachesB(t *testing.T) {
	a := startNode(t, "A")
	b := startNode(t, "B", a.p2p)
	waitFor(t, "A to see B", func() bool { return len(a.peers()) == 1 })
	mined := a.mine("from A", "안녕")
	if chain := waitSameChain(t, a, b); len(chain) != 2 || !blockEqual(chain[1], mined) {
		t.Fatalf("B's chain: got %d blocks, want genesis and the mined block", len(chain))
	}
	b.waitLog("We can append the received block to our chain")
}

func TestNodeBehindOnAnotherForkCatchesUp(t *testing.T) {
	a, b := startNode(t, "A"), startNode(t, "B")
	for i := range 5 {
		a.mine(fmt.Sprintf("A %d", i))
	}
	b.mine("B 0")
	want := a.blocks()
	b.addPeers(a.p2p)
	if got := waitSameChain(t, a, b); !slices.EqualFunc(got, want, blockEqual) {
		t.Errorf("after catching up: got %d blocks, want A's %d blocks", len(got), len(want))
	}
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
	waitFor(t, "D to receive A's block", func() bool { return d.tip() == hashOf(fromA).String() })
	fromD := d.mine("from D")
	waitFor(t, "A to receive D's block", func() bool { return a.tip() == hashOf(fromD).String() })
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
	b.stop()
	waitFor(t, "A to drop B", func() bool { return len(a.peers()) == 0 })
	a.waitLog("Connection failed to peer: 127.0.0.1:")
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
		{"control characters", "a\b\f\n\r\t\x01\x1f\x7f", "\"a\\b\\f\\n\\r\\t\\u0001\\u001f\x7f\""},
		{"Korean", "한글", `"한글"`},
		{"quote, backslash, slash", `"\/`, `"\"\\/"`},
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
		{`[1.0, 1e0, 1E+2, -0, 0.1, 1e21, 1e-7, 123456789012345678901234567890]`, `[1,1,100,0,0.1,1e+21,1e-7,1.2345678901234568e+29]`},
		{`"\u2028<>&\u007f\u0001\b\f"`, "\"\u2028<>&\x7f\\u0001\\b\\f\""},
		{`"\ud83d\ude00"`, ``}, // 자바스크립트는 "😀" 로 읽는다: 여기서는 서로게이트 이스케이프를 모두 거절한다
		{`"\\ud800"`, `"\\ud800"`},
		{`{"4294967295":1,"4294967294":2,"01":3,"-1":4}`, `{"4294967294":2,"4294967295":1,"01":3,"-1":4}`},
		{`1e400`, ``},            // 자바스크립트는 Infinity 로 읽고 null 로 쓴다
		{`[{"toString":1}]`, ``}, // String() 이 예외를 던진다
		{`{"a":{"toString":1}}`, `{"a":{"toString":1}}`}, // 객체 안의 객체에는 String() 이 닿지 않는다
		{strings.Repeat("[", maxDepth+2) + strings.Repeat("]", maxDepth+2), ``},
		{"\"\xff\"", ``},
		{`[1] 2`, ``},
	} {
		got, err := canonicalJSON([]byte(tt.raw))
		if (err == nil) != (tt.want != "") || err == nil && string(got) != tt.want {
			t.Errorf("canonicalJSON(%.40s): got %s (%v), want %q", tt.raw, got, err, tt.want)
		}
	}
}

// readMessage 는 JSON.stringify 가 쓴 형식 그대로인 메시지만 받는다: 다시 쓴 바이트가 받은 바이트와 같아야 한다.
// 그러면 자바스크립트가 다르게 읽을 메시지(대소문자가 다른 키, 같은 키 둘, 다른 형식의 수)와 잘린 프레임이 모두 걸러진다.
func TestReadMessage(t *testing.T) {
	chain := makeChain(2, "r")
	text := string(stringify(chain))
	block := string(stringify(chain[1]))
	for _, tt := range []struct {
		name, frame string
		ok          bool
	}{
		{"QUERY_LATEST", `{"type":0,"data":null}`, true},
		{"RESPONSE_BLOCKCHAIN with the chain", response(text), true},
		{"a data string with another escape (\\u0022 for a quote)", strings.Replace(response(text), `\"`, `\u0022`, 1), false},
		{"the whole message cut short", response(text)[:len(response(text))-3], false},
		{"a duplicate data key", `{"type":2,"data":"[]","data":` + string(stringify(text)) + `}`, false},
		{"an empty block array (the chapter's node dies)", response(`[]`), false},
		{"a space inside the block array", response("[ " + text[1:]), false},
		{"a block with keys in another order", response(`[` + strings.Replace(block, `"version":"2.1.0","index":1`, `"index":1,"version":"2.1.0"`, 1) + `]`), false},
		{"a block with an extra key", response(`[` + strings.Replace(block, `"data":`, `"extra":1,"data":`, 1) + `]`), false},
		{"a block with Index for index", response(`[` + strings.Replace(block, `"index"`, `"Index"`, 1) + `]`), false},
		{"an index written 1.0", response(`[` + strings.Replace(block, `"index":1`, `"index":1.0`, 1) + `]`), false},
		{"a lowercase previousHash", response(`[` + strings.Replace(block, genesisHash, strings.ToLower(genesisHash), 1) + `]`), false},
		{"a data value written 1.0", response(`[` + strings.Replace(block, `"data":["r block 1"]`, `"data":[1.0]`, 1) + `]`), false},
		{"a \\ud800 escape", `{"type":2,"data":"[\"\\ud800\"]"}`, false},
	} {
		_, _, err := readMessage([]byte(tt.frame))
		if (err == nil) != tt.ok {
			t.Errorf("%s: got error %v, want ok=%v", tt.name, err, tt.ok)
		}
	}
}

// ---------- 동시성 ----------

// 여러 클라이언트가 동시에 블록을 생성해도 잃는 블록이 없고, 연결된 피어는 모든 블록을 체인 순서대로 받는다.
func TestConcurrentMiningLosesNothing(t *testing.T) {
	peer := startNode(t, "peer")
	n := startNode(t, "miner", peer.p2p)
	waitFor(t, "the peers to connect", func() bool { return len(n.peers()) == 1 && len(peer.peers()) == 1 })
	var wg sync.WaitGroup
	var failed atomic.Int32
	for c := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 10 {
				if r := request(t, "POST", n.http+"/mineBlock", fmt.Sprintf(`{"data":["%d-%d"]}`, c, i), nil); r.status != 200 {
					failed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if failed.Load() != 0 {
		t.Fatalf("%d of 80 POST /mineBlock failed, want 0", failed.Load())
	}
	if chain := waitSameChain(t, n, peer); len(chain) != 81 || !isValidChain(chain) {
		t.Errorf("chain: got %d blocks, want 81 valid", len(chain))
	}
	if c := peer.countLog("We have to query the chain from our peer"); c != 0 {
		t.Errorf("the peer asked for the whole chain %d times, want 0: every block arrived in order", c)
	}
}

// ---------- 퍼즈 테스트 ----------

// FuzzReceive 는 아무 바이트나 받은 프레임으로 넣어 본다. 그 뒤에도 노드의 체인은 올바르고, 노드는 QUERY_LATEST 에
// 자기 최신 블록으로 답하며, 올바른 다음 블록이 오면 붙인다.
func FuzzReceive(f *testing.F) {
	chain := makeChain(3, "seed")
	for _, seed := range []string{`{"type":0,"data":null}`, `{"type":1,"data":null}`, string(chainFrame(chain)),
		string(chainFrame(chain[1:2])), response(`[]`), response(`[1]`), `{"type":2,"data":"[{\"header\":{}}]"}`, `[]`, `{}`} {
		f.Add([]byte(seed))
	}
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
		receive(ws, []byte(`{"type":0,"data":null}`))
		if got, want := drain(ws), string(chainFrame([]Block{latest})); len(got) != 1 || got[0] != want {
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

// ---------- 벤치마크: go test -bench . -benchmem -run '^$' ----------

func BenchmarkCalculateHash(b *testing.B) {
	g := getGenesisBlock()
	for b.Loop() {
		calculateHashForBlock(g)
	}
}

// BenchmarkReceiveChain 은 새 노드가 체인 전체를 RESPONSE_BLOCKCHAIN 하나로 받아 파싱하고, 검증하고, 교체하는 데 드는 시간이다.
func BenchmarkReceiveChain(b *testing.B) {
	discardLog(b)
	b.Cleanup(resetChain)
	const blocks = 10000
	frame := chainFrame(makeChain(blocks, "bench"))
	b.SetBytes(int64(len(frame)))
	for b.Loop() {
		b.StopTimer()
		resetChain()
		ws := newTestSocket("bench")
		b.StartTimer()
		receive(ws, frame)
		if got := len(chainNow()); got != blocks+1 {
			b.Fatalf("chain has %d blocks after receiving, want %d", got, blocks+1)
		}
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
// 연결된 피어(이 프로세스)가 모든 블록을 가질 때까지의 처리량이다.
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
					}
				}()
			}
			wg.Wait()
			waitFor(b, "the peer to hold every block", func() bool { return len(chainNow()) == start+b.N })
			b.ReportMetric(float64(b.N)/time.Since(began).Seconds(), "blocks/s")
			hc.CloseIdleConnections()
		})
	}
}

// BenchmarkChainMemory 는 받은 체인(블록 40,000 개, 블록마다 짧은 데이터 하나)을 들고 있는 노드의 힙 크기이다.
func BenchmarkChainMemory(b *testing.B) {
	discardLog(b)
	b.Cleanup(resetChain)
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
	listed := map[string]bool{}
	for _, row := range strings.Split(strings.TrimSpace(table), "\n")[2:] {
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
			if !regexp.MustCompile(`(?m)^func (\([^)]*\) )?` + m[1] + `\(`).Match(src) {
				t.Errorf("README says %s is in %s, but %s has no func %s", m[1], file, file, m[1])
			}
			listed[m[1]] = true
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

// hh 는 s 의 SHA-256 이다. 기대값을 챕터의 규칙대로 따로 계산할 때 쓴다.
func hh(s string) Hash { return sha256.Sum256([]byte(s)) }

var _ = bytes.Equal
