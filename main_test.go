package main

import (
	"bufio"
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"golang.org/x/net/websocket"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"reflect"
	"regexp"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// 이 파일은 챕터의 차례를 따른다: 챕터의 함수마다 그 이름의 테스트가 main.js의 차례대로 있고(TestGetGenesisBlock …
// TestReplaceChain), 진짜 노드로 챕터를 돌려 보는 테스트가 뒤따른다. 행 이름이 「챕터와 다른 점」으로 시작하면 챕터와 다르게 하는
// 것이다. 「챕터에 없는 것」부터는 JSON, 동시성, 퍼즈, 한계, 자바스크립트 노드, 벤치마크이고, 맨 끝은 「테스트 보조 함수」(check, drain …)이다.

// ---------- 챕터 1: 블록과 해시 (main.js의 차례) ----------

// genesisHash는 챕터의 노드가 만드는 제네시스 블록의 해시이다.
const genesisHash = "C8CD3F1A0BCF8EE28A559D2DE7A4A871E684BFAFEEAAF996C8FCFA5B247B6129"

// genesisBlock은 시작할 때 한 번 부른 getGenesisBlock()이다: 챕터의 함수는 mu를 잠그고 부르므로 노드가 도는 동안은 이 값을 쓴다.
var genesisBlock = getGenesisBlock()

func TestGetGenesisBlock(t *testing.T) {
	g := getGenesisBlock()
	const wantMerkle = "A6D72BAA3DB900B03E70DF880E503E9164013B4D9A470853EDC115776323A098"
	check(t, "genesis hash", calculateHashForBlock(g).String(), genesisHash)
	// 자바스크립트 노드는 제네시스를 JSON.stringify로 비교하므로 키 순서까지 같아야 한다 (merkleRoot도 이 글로 본다).
	want := `{"header":{"version":"1.0.0","index":0,"previousHash":"` + strings.Repeat("0", 64) + `","timestamp":1231006505,"merkleRoot":"` +
		wantMerkle + `"},"data":["The Times 03/Jan/2009 Chancellor on brink of second bailout for banks"]}`
	check(t, "genesis JSON", string(stringify(g)), want)
}

func TestGenerateNextBlock(t *testing.T) {
	freshChain(t)
	before := time.Now().Unix()
	var b Block
	locked(func() { b = generateNextBlock(vals("a")) })
	after := time.Now().Unix() + 1 // Math.round은 반올림이라 1초 뒤일 수 있다
	want := Block{Header: BlockHeader{"2.1.0", 1, calculateHashForBlock(genesisBlock), b.Header.Timestamp, hh("a")}, Data: vals("a")}
	check(t, "next block (its timestamp aside)", string(stringify(b)), string(stringify(want)))
	ts := b.Header.Timestamp
	check(t, fmt.Sprintf("timestamp %d between %d and %d", ts, before, after), before <= ts && ts <= after, true)
	check(t, "blocks after generateNextBlock (it does not add)", len(chainNow()), 1)
}

func TestAddBlock(t *testing.T) {
	chain := makeChain(3, "a")
	freshChain(t)
	for _, tt := range []struct {
		name  string
		held  []Block
		block Block
		want  bool
	}{
		{"the next block is appended", chain[:2], chain[2], true},
		{"a block that is already held is not", chain[:3], chain[2], false},
		{"a block after a gap is not", chain[:1], chain[2], false},
	} {
		setChain(slices.Clone(tt.held))
		var got bool
		locked(func() { got = addBlock(tt.block) })
		wantBlocks := len(tt.held) + map[bool]int{true: 1}[tt.want] // 붙었으면 한 블록 더
		check(t, tt.name+" (added, blocks)", fmt.Sprint(got, len(chainNow())), fmt.Sprint(tt.want, wantBlocks))
	}
	// 챕터와 다른 점: 체인의 응답이 64 MiB나 data 값 2^20개를 넘게 할 블록은 추가하지 않는다 (TestLimits의 「가진 체인 전체의 …」 행).
}

func TestCalculateHash(t *testing.T) {
	a, b := hh("a"), hh("b")
	check(t, "calculateHash", calculateHash("2.1.0", 7, a, 1700000000, b), hh("2.1.0"+"7"+a.String()+"1700000000"+b.String()))
}

// TestMerkleRoot는 merkleRootOf를 npm merkle 0.6.0이 낸 값(vectors.js가 만든 merkle-vectors.json)과 따로 계산한 값에 비교한다.
func TestMerkleRoot(t *testing.T) {
	file, _ := os.ReadFile("testdata/jsnode/merkle-vectors.json")
	for _, v := range fromJSON[[]struct {
		Data []json.RawMessage
		Root string
		Text []string
	}](t, string(file)) {
		data, _, err := canonicalJSON(stringify(v.Data)) // 파일의 1e-07 같은 수를 JSON.stringify의 형식으로
		must(t, err)
		for i, value := range v.Data {
			var parsed any
			dec := json.NewDecoder(strings.NewReader(string(value)))
			dec.UseNumber()
			dec.Decode(&parsed)
			check(t, fmt.Sprintf("String(%s)", value), jsString(parsed), v.Text[i])
		}
		check(t, fmt.Sprintf("merkle root of %s (npm merkle)", data), merkleRootOf(data).String(), v.Root)
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
		{"an uppercase hash leaf is kept", []string{genesisHash}, calculateHashForBlock(genesisBlock)},
		{"a lowercase hash leaf is hashed", []string{strings.ToLower(genesisHash)}, hh(strings.ToLower(genesisHash))},
	} {
		check(t, tt.name, merkleRootOf(vals(tt.data...)), tt.want)
	}
}

func TestIsValidNewBlock(t *testing.T) {
	valid, every := makeChain(1, "v")[1], json.RawMessage(`[1,null,true,{"a":[1]},[1,[null]]]`) // every: JSON의 모든 종류
	for _, tt := range []struct {
		name   string
		change func(b *Block)
		want   string // 남겨야 할 챕터의 로그 (맞는 블록이면 "")
	}{
		{"valid block", func(b *Block) {}, ""},
		{"empty data with 64 zeros as merkle root", func(b *Block) { b.Data, b.Header.MerkleRoot = vals(), Hash{} }, ""},
		{"data of every JSON kind", func(b *Block) { b.Data, b.Header.MerkleRoot = every, merkleRootOf(every) }, ""},
		{"챕터와 다른 점: data null is not an array", func(b *Block) { b.Data = json.RawMessage(`null`) }, "invalid block structure"},
		{"index is not previous+1", func(b *Block) { b.Header.Index = 2 }, "Invalid index"},
		{"previousHash is not the previous block's hash", func(b *Block) { b.Header.PreviousHash = hh("other") }, "Invalid previousHash"},
		{"merkleRoot does not match data", func(b *Block) { b.Data = vals("changed") }, "Invalid merkleRoot"},
		{"empty data with a non-zero merkle root", func(b *Block) { b.Data = vals() }, "Invalid merkleRoot"},
	} {
		b := valid
		tt.change(&b)
		logs := captureLog(t)
		check(t, tt.name, isValidNewBlock(b, genesisBlock), tt.want == "")
		check(t, fmt.Sprintf("%s: lines logged with %q (\"\": any line)", tt.name, tt.want), logs.countLog(tt.want), min(len(tt.want), 1))
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
		{"data an empty array", func(b *Block) { b.Data = json.RawMessage(`[]`) }, true},
		{"챕터와 다른 점: data null (typeof null is 'object')", func(b *Block) { b.Data = json.RawMessage(`null`) }, false},
		{"챕터와 다른 점: data an object", func(b *Block) { b.Data = json.RawMessage(`{}`) }, false},
		{"챕터와 다른 점: data a string", func(b *Block) { b.Data = json.RawMessage(`"x"`) }, false},
	} {
		b := valid
		tt.change(&b)
		check(t, tt.name, isValidBlockStructure(b), tt.want)
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
		{"genesis only", []Block{genesisBlock}, true},
		{"three blocks on genesis", chain, true},
		{"another genesis", change(2, "f", func(c []Block) { c[0].Header.Timestamp++ }), false},
		{"genesis with other data", change(1, "g", func(c []Block) { c[0].Data = vals("other") }), false},
		{"a broken link", change(3, "b", func(c []Block) { c[2].Header.PreviousHash = hh("x") }), false},
		{"a wrong merkle root", change(3, "m", func(c []Block) { c[2].Data = vals("tampered") }), false},
		{"a block repeated", append(slices.Clone(chain), chain[3]), false},
		{"a block missing", []Block{chain[0], chain[1], chain[3]}, false},
	} {
		check(t, tt.name, isValidChain(tt.chain), tt.want)
	}
}

// ---------- 챕터 2: HTTP와 P2P 서버, 연결, 메시지 (main.js의 차례) ----------

// 행마다 제네시스 하나인 노드에 요청 하나를 보낸다. 생성한 블록은 "block index data"로, 에러는 "…"까지의 앞부분으로 본다.
func TestInitHttpServer(t *testing.T) {
	n := startLocalNode(t)
	for _, tt := range []struct {
		name, method, path, body string
		headers                  map[string]string // nil: 본문이 있으면 request가 붙이는 application/json
		wantStatus               int
		wantBody                 string
	}{
		{"GET /blocks: the chain", "GET", "/blocks", "", nil, 200, string(stringify([]Block{genesisBlock}))},
		{"GET /version", "GET", "/version", "", nil, 200, "2.1.0"},
		{"GET /peers: none yet", "GET", "/peers", "", nil, 200, "[]"},
		{"POST /addPeers with no peers", "POST", "/addPeers", `{"peers":[]}`, nil, 200, ""},
		{"POST /addpeers, the note's spelling", "POST", "/addpeers", `{}`, nil, 200, ""},
		{"POST /mineBlock with no body: data || []", "POST", "/mineBlock", "", nil, 200, "block 1 []"},
		{"… and with data false, 0, -0 or \"\": they are falsy, so || [] too", "POST", "/mineBlock", `{"data":-0}`, nil, 200, "block 1 []"},
		{"POST /mineBlock: data of any JSON values, written as JSON.stringify(JSON.parse(…))", "POST", "/mineBlock",
			`{"data":[1.0, "<&>", null, {"b":1,"b":2}]}`, nil, 200, `block 1 [1,"<&>",null,{"b":2}]`},
		{"a body without Content-Type: application/json is not read, as body-parser: an empty block", "POST", "/mineBlock",
			`{"data":["x"]}`, map[string]string{"Content-Type": "text/plain"}, 200, "block 1 []"},
		{"… nor with a Content-Type that body-parser cannot parse", "POST", "/mineBlock", `{"data":["x"]}`,
			map[string]string{"Content-Type": "application/json;"}, 200, "block 1 []"},
		{"… nor with a tab in it", "POST", "/mineBlock", `{"data":["x"]}`,
			map[string]string{"Content-Type": "application/json;\tcharset=utf-8"}, 200, "block 1 []"},
		{"챕터와 다른 점: a charset other than utf-8 is 415 (the chapter reads utf-16)", "POST", "/mineBlock",
			`{"data":["x"]}`, map[string]string{"Content-Type": "application/json; charset=utf-16"}, 415, `{"error":…`},
		{"챕터와 다른 점: a Content-Type Go cannot parse is 415 (the chapter reads application/json; a=1; a=2)", "POST", "/mineBlock",
			`{"data":["x"]}`, map[string]string{"Content-Type": "application/json; a=1; a=2"}, 415, `{"error":…`},
		{"a body after a UTF-8 BOM is read, as body-parser strips it", "POST", "/mineBlock", "\ufeff" + `{"data":["x"]}`, nil, 200, `block 1 ["x"]`},
		{"… and a body of only a BOM is empty: {}, an empty block", "POST", "/mineBlock", "\ufeff", nil, 200, "block 1 []"},
		{"a body of spaces, or after a form feed, is 400, as JSON.parse", "POST", "/mineBlock", "\f  ", nil, 400, `{"error":…`},
		{"챕터와 다른 점: 1e400 is 400 (the chapter writes null)", "POST", "/mineBlock", `{"data":[1e400]}`, nil, 400, `{"error":…`},
		{"챕터와 다른 점: data that is not an array is 400", "POST", "/mineBlock", `{"data":"x"}`, nil, 400, `{"error":…`},
		{"챕터와 다른 점: a peer that is not a string is 400 (the chapter throws, 500)", "POST", "/addPeers", `{"peers":[1]}`, nil, 400, `{"error":…`},
		{"챕터와 다른 점: an unknown path is Go's 404 text", "GET", "/nothing", "", nil, 404, "404 page not found\n"},
		{"챕터와 다른 점: a wrong method is Go's 405 text", "GET", "/mineBlock", "", nil, 405, "Method Not Allowed\n"},
	} {
		resetChain()
		resp := request(client, tt.method, n.http+tt.path, tt.body, tt.headers)
		got := resp.body
		if b := (Block{}); strings.HasPrefix(got, `{"header":`) && json.Unmarshal([]byte(got), &b) == nil {
			got = fmt.Sprintf("block %d %s", b.Header.Index, b.Data) // 생성한 블록
		}
		if prefix, ok := strings.CutSuffix(tt.wantBody, "…"); ok {
			got = got[:min(len(got), len(prefix))] + "…"
		}
		check(t, tt.name, show(resp.status, got), show(tt.wantStatus, tt.wantBody))
	}
	// body-parser처럼 JSON이 아닌 본문은 읽지 않는다: 오지 않는 본문을 기다리지 않고 빈 블록을 생성한다.
	slow := "POST /mineBlock HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\n"
	check(t, "status of a text/plain POST /mineBlock whose body never comes, within 5 s", dialStatus(t, n.http, slow), "200")
	// Express처럼 응답에는 Content-Length가 있다: 2 KB가 넘는 GET /blocks도 chunked로 보내지 않는다.
	for range 30 {
		request(client, "POST", n.http+"/mineBlock", `{"data":["`+strings.Repeat("x", 100)+`"]}`, nil)
	}
	resp, err := client.Get(n.http + "/blocks")
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	check(t, "GET /blocks over 2 KB: read, Content-Length is its size, transfer encoding", show(err, len(body) > 2048 && resp.ContentLength == int64(len(body)), resp.TransferEncoding),
		show(nil, true, []string(nil)))
}

// 챕터의 P2P 서버는 npm ws처럼 Origin 머리 없이 연결해 와도 받고, 연결되면 바로 QUERY_LATEST를 보낸다.
func TestInitP2PServer(t *testing.T) {
	a := startNode(t, "A")
	_, r := rawDial(t, a.p2p)
	opcode, payload, err := readRawFrame(r)
	check(t, "first frame (opcode, text, error)", fmt.Sprint(opcode, " ", string(payload), " ", err), `1 {"type":0,"data":null} <nil>`)
	check(t, "A's peers", len(a.peers()), 1)
}

func TestInitConnection(t *testing.T) {
	freshChain(t)
	ws := newTestSocket(t, "peer")
	locked(func() { initConnection(ws) })
	check(t, "sockets, sent", show(socketsNow(), drain(ws)), show([]*socket{ws}, []string{queryLatest}))
}

// 행마다 제네시스와 블록 1을 가진 노드에 새 소켓으로 메시지 하나를 보내고, 그 소켓이 받은 것과 체인을 본다.
func TestInitMessageHandler(t *testing.T) {
	chain := makeChain(2, "m")
	freshChain(t)
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
		ws := newTestSocket(t, "peer")
		locked(func() { sockets = []*socket{ws} })
		receive(ws, []byte(tt.frame))
		check(t, tt.name+" (sent, blocks)", show(drain(ws), len(chainNow())), show(tt.want, tt.wantBlocks))
	}
}

// TestInitErrorHandler는 챕터처럼 "close"와 "error"에 closeConnection을 등록하는지 본다. 열린 소켓의 에러는 close로 온다.
func TestInitErrorHandler(t *testing.T) {
	freshChain(t)
	logs := captureLog(t)
	ws := newTestSocket(t, "127.0.0.1:3333") // initMessageHandler와 initErrorHandler를 부른 소켓
	locked(func() { sockets = []*socket{ws} })
	onClose, onError := len(ws.handlers["close"]) == 1, len(ws.handlers["error"]) == 1
	ws.close(errors.New("EOF"))
	waitFor(t, "the socket to leave", func() bool { return len(socketsNow()) == 0 })
	check(t, "handlers for close and error, Connection failed lines", show(onClose, onError, logs.countLog("Connection failed to peer: 127.0.0.1:3333")), show(true, true, 1))
}

func TestCloseConnection(t *testing.T) {
	freshChain(t)
	logs := captureLog(t)
	a, b := newTestSocket(t, "127.0.0.1:1111"), newTestSocket(t, "127.0.0.1:2222")
	locked(func() { sockets = []*socket{a, b}; broadcast(responseLatestMsg()) }) // 둘 다 프레임 하나를 나눠 가진다
	a.close(errors.New("EOF"))
	a.close(errors.New("a second error")) // 챕터에서는 close와 error가 둘 다 올 수 있다
	waitFor(t, "a to leave", func() bool { return slices.Equal(socketsNow(), []*socket{b}) })
	check(t, "챕터와 다른 점: lines for a's close and error (one, with the address and why)", logs.countLog("Connection failed to peer: 127.0.0.1:1111 (EOF)"), 1)
	check(t, "frames b got (the broadcast)", len(drain(b)), 1)
	check(t, "챕터에 없는 값: queued bytes after a closed and a drained socket", queuedNow(), 0)
}

// 행마다 소켓이 없는 노드가 connectToPeers를 한 번 부르고, 연결이 끝나거나 실패한 뒤의 소켓들과 로그 줄을 본다.
func TestConnectToPeers(t *testing.T) {
	n, other := startLocalNode(t), startNode(t, "other")
	for _, tt := range []struct {
		name    string
		peers   []string
		want    int    // 연결된 소켓 수 (그 피어는 other뿐이다)
		wantLog string // 이 행에서 한 번 나오는 줄 (""이면 없음)
	}{
		{"a peer connects", []string{other.p2p}, 1, ""},
		{"챕터와 다른 점: a peer that does not listen is logged with its address and why", []string{"ws://127.0.0.1:1"}, 0,
			`Connection failed: "ws://127.0.0.1:1": dial tcp`},
		{"챕터와 다른 점: an address that is not ws:// is skipped", []string{"http://127.0.0.1:1"}, 0,
			`Connection failed: "http://127.0.0.1:1": want an address like ws://host:port`},
		{"챕터와 다른 점: an address given twice is connected once", []string{other.p2p, other.p2p}, 1, `Connection failed: "` + other.p2p + `": skipped`},
		{"챕터와 다른 점: an address with a newline stays on one line: its first 200 characters, escaped", []string{"ws://x\n" + strings.Repeat("y", 999)}, 0,
			`Connection failed: "ws://x\n` + strings.Repeat("y", 193) + `": `},
		{"챕터와 다른 점: invisible characters in an address are escaped (ws.url, which closeConnection prints too)", []string{"ws://127.0.0.1:1/\u202e\u0085"}, 0,
			`Connection failed: "ws://127.0.0.1:1/\u202e\u0085": dial tcp`},
		{"챕터와 다른 점: invisible characters the reason repeats from the address are escaped too", []string{"ws://[::1%25\u202e]:1/"}, 0,
			`Connection failed: "ws://[::1%25\u202e]:1/": dial tcp [::1%\u202e]:1`},
	} {
		closeAllSockets(t)
		waitFor(t, "the other node to drop the last row's socket", func() bool { return len(other.peers()) == 0 })
		mark := len(n.logLines())
		failed := func() []string { // 이 행에서 나온 "Connection failed: " 줄들
			return slices.DeleteFunc(n.logLines()[mark:], func(l string) bool { return !strings.Contains(l, "Connection failed: ") })
		}
		locked(func() { connectToPeers(tt.peers) })
		waitFor(t, tt.name, func() bool { return dialedNow() == len(socketsNow()) && len(failed()) == min(len(tt.wantLog), 1) })
		waitFor(t, tt.name, func() bool { return len(other.peers()) == tt.want })
		check(t, tt.name+" (sockets, the line)", show(len(socketsNow()), strings.Contains(strings.Join(failed(), ""), tt.wantLog)), show(tt.want, true))
	}
}

// 챕터의 handleBlockchainResponse와 replaceChain이 남기는 로그 줄이다.
const (
	behind, appended    = "Blockchain possibly behind. We got: ", "We can append the received block to our chain"
	nothing, longer     = "Received blockchain is not longer than current blockchain. Do nothing", "Received blockchain is longer than current blockchain"
	queryPeer, replaced = "We have to query the chain from our peer", "Received blockchain is valid. Replacing current blockchain with received blockchain"
)

// TestHandleBlockchainResponse는 챕터의 세 분기(추가, 체인 요청, 교체)와 else(아무것도 하지 않기)마다 로그와 두 피어가 받은 것을 본다.
func TestHandleBlockchainResponse(t *testing.T) {
	freshChain(t)
	chain, fork := makeChain(4, "h"), makeChain(2, "fork")
	skipping := chain[2] // 우리 마지막 블록 위에 있지만 index가 하나를 건너뛴다
	skipping.Header.Index = 3
	invalid := slices.Clone(chain) // 블록 3이 앞 블록에 이어지지 않는다
	invalid[3].Header.PreviousHash = hh("another block")
	frame := func(blocks []Block) []string { return []string{string(chainFrame(blocks))} } // blocks를 담은 RESPONSE_BLOCKCHAIN 하나
	for _, tt := range []struct {
		name           string
		held, received []Block
		wantLog        []string
		wantChain      []Block
		wantSent       []string // 보낸 피어와 다른 피어가 저마다 받은 프레임 (챕터는 둘 다에게 보낸다)
	}{
		{"equal index (every new connection: genesis and genesis): nothing", chain[:1], chain[:1], []string{nothing}, chain[:1], nil},
		{"a shorter chain: nothing", chain, fork, []string{nothing}, chain, nil},
		{"the next block: appended and broadcast to every peer", chain[:2], chain[2:3],
			[]string{behind + "1,  Peer got: 2", appended}, chain[:3], frame(chain[2:3])},
		{"several blocks whose last is on ours: appended", chain[:4], chain[2:],
			[]string{behind + "3,  Peer got: 4", appended}, chain, frame(chain[4:])},
		{"a block on ours that addBlock refuses: nothing sent", chain[:2], []Block{skipping},
			[]string{behind + "1,  Peer got: 3", appended, "Invalid index"}, chain[:2], nil},
		{"one block not on ours: asks every peer for the chain", chain[:2], chain[3:4],
			[]string{behind + "1,  Peer got: 3", queryPeer}, chain[:2], []string{queryAll}},
		{"a longer valid chain: replaced and broadcast", fork, chain, []string{behind + "2,  Peer got: 4", longer, replaced}, chain, frame(chain[4:])},
		{"a longer invalid chain: nothing", fork, invalid,
			[]string{behind + "2,  Peer got: 4", longer, "Invalid previousHash", "Received blockchain invalid"}, fork, nil},
	} {
		setChain(slices.Clone(tt.held))
		sender, other := newTestSocket(t, "sender"), newTestSocket(t, "other")
		locked(func() { sockets = []*socket{sender, other} })
		logs := captureLog(t)
		receive(sender, chainFrame(tt.received)) // 노드가 받는 그대로: JSON.parse 뒤에 "message" 핸들러가 handleBlockchainResponse를 부른다
		got := strings.Split(logs.logText(), "\n")
		check(t, fmt.Sprintf("%s: log %q ends like %q", tt.name, got, tt.wantLog), slices.EqualFunc(got, tt.wantLog, strings.HasSuffix), true)
		sameChain(t, tt.name+": chain", chainNow(), tt.wantChain)
		check(t, tt.name+": sent to the sender, to the other peer", show(drain(sender), drain(other)), show(tt.wantSent, tt.wantSent))
	}
}

// write가 보내는 바이트: 메시지를 JSON.stringify 한 것 그대로이다 (응답의 data는 블록 배열의 JSON 문자열이다).
func TestWrite(t *testing.T) {
	freshChain(t)
	b := Block{Header: BlockHeader{"2.1.0", 1, calculateHashForBlock(genesisBlock), 1700000000, hh("a")}, Data: vals("a")}
	setChain(append([]Block{genesisBlock}, b))
	block := `{\"header\":{\"version\":\"2.1.0\",\"index\":1,\"previousHash\":\"` + genesisHash +
		`\",\"timestamp\":1700000000,\"merkleRoot\":\"` + hh("a").String() + `\"},\"data\":[\"a\"]}`
	genesis := strings.ReplaceAll(string(stringify(genesisBlock)), `"`, `\"`)
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
		ws := newTestSocket(t, "peer")
		locked(func() { write(ws, tt.message()) })
		check(t, "write("+tt.name+")", show(drain(ws)), show([]string{tt.want}))
	}
	// 챕터와 다른 점: 닫힌 소켓에는 보내지 않고, -trace와 노드의 페이지(이벤트 스트림)에도 보낸 것으로 보이지 않는다.
	events := make(chan string, 1024) // 앞선 테스트의 소켓이 늦게 닫히며 보내는 이벤트로 가득 차 닫히지 않도록 넉넉히
	streams.Store(events, true)
	t.Cleanup(func() { streams.Delete(events) })
	open, closed := newTestSocket(t, "open"), newTestSocket(t, "closed")
	locked(func() { closed.close(errors.New("gone")); write(closed, queryAllMsg()); write(open, queryAllMsg()) })
	var sentTo []string
	for len(events) > 0 {
		if event := <-events; strings.Contains(event, `"dir":"→"`) {
			sentTo = append(sentTo, regexp.MustCompile(`"peer":"(\w+)"`).FindStringSubmatch(event)[1])
		}
	}
	check(t, "→ events for a write to a closed socket, then to an open one", show(sentTo), show([]string{"open"}))
}

// broadcast는 모든 소켓에 같은 바이트를 보내고, 그 바이트는 모든 소켓이 나눠 가진 프레임 하나이다.
func TestBroadcast(t *testing.T) {
	freshChain(t)
	setChain(makeChain(1, "b"))
	peers := []*socket{newTestSocket(t, "in"), newTestSocket(t, "out"), newTestSocket(t, "closed")}
	peers[1].url = "ws://127.0.0.1:1" // 우리가 연결한 소켓도 똑같이 받는다 (ws.url이 있으면 masks()는 1)
	peers[2].close(errors.New("gone"))
	var queued int
	locked(func() { sockets = slices.Clone(peers); broadcast(responseLatestMsg()); queued = queuedBytes })
	want := string(chainFrame(chainNow()[1:]))
	for i, name := range []string{"socket in", "socket out", "챕터와 다른 점: a closed socket gets nothing (the chapter's ws.send throws)"} {
		check(t, name, show(drain(peers[i])), show([][]string{{want}, {want}, nil}[i]))
	}
	// 두 소켓의 바이트는 나눠 가진 프레임 하나로 세고, 우리가 연결한 소켓이면 x/net이 보낼 때 만드는 마스킹한(masked) 사본을 더 센다.
	check(t, "챕터에 없는 값: queued bytes: the shared frame once, and the masked copy for the socket we dialed", queued, 2*len(want))
}

func TestMineBlock(t *testing.T) {
	freshChain(t)
	watcher := newTestSocket(t, "watcher")
	mu.Lock()
	sockets = []*socket{watcher}
	b, noData := cmp.Or(mineBlock(vals()), &Block{}), mineBlock(json.RawMessage(`null`)) // null은 구조 검사가 거부한다 (HTTP는 빠진 data를 []로 바꾼다)
	mu.Unlock()
	check(t, "mineBlock([]): data, index, merkle root (64 zeros)", show(string(b.Data), b.Header.Index, b.Header.MerkleRoot), show("[]", int64(1), Hash{}))
	check(t, "챕터와 다른 점: mineBlock(null) is refused (typeof null is 'object'), blocks after mining", show(string(stringify(noData)), len(chainNow())), show("null", 2))
	check(t, "broadcast after mining", show(drain(watcher)), show([]string{string(chainFrame([]Block{*b}))}))
}

func TestReplaceChain(t *testing.T) {
	freshChain(t)
	long, other := makeChain(3, "long"), makeChain(3, "other")
	invalid := slices.Clone(other)
	invalid[3].Data = vals("tampered")
	for _, tt := range []struct {
		name             string
		held, with, want []Block
	}{
		{"a longer valid chain replaces", makeChain(1, "short"), long, long},
		{"a shorter chain does not", long, makeChain(2, "short"), long},
		{"an invalid longer chain does not", makeChain(1, "short"), invalid, makeChain(1, "short")},
	} {
		setChain(tt.held)
		locked(func() { replaceChain(tt.with) })
		sameChain(t, tt.name, chainNow(), tt.want)
	}
	replaced := 0 // 같은 길이의 유효한 체인: 챕터의 random.boolean()처럼 반반의 확률로 교체한다. 64번 중 양쪽이 다 나와야 한다.
	for range 64 {
		setChain(long)
		locked(func() { replaceChain(other) })
		replaced += map[bool]int{true: 1}[blockEqual(chainNow()[3], other[3])]
	}
	check(t, fmt.Sprintf("same-length chain replaced %d times in 64 tries: both outcomes", replaced), 0 < replaced && replaced < 64, true)
}

// TestMainAndRun은 챕터의 끝(initHttpServer(); initP2PServer();) 둘레의 챕터와 다른 점이다: 쓰고 있는 포트면 그 포트와 바꿀
// 플래그를 알리고 코드 1로 끝나고, Ctrl-C(SIGINT)와 SIGTERM에는 POST /stop처럼 멈추고 코드 0으로 끝난다 (시그널에 죽으면 -1).
// POST /stop으로 멈추는 동안 온 Ctrl-C에도 그렇다.
func TestMainAndRun(t *testing.T) {
	n := startNode(t, "node")
	for flag, used := range map[string]string{"-http_port": port(n.http), "-p2p_port": port(n.p2p)} {
		cmd := exec.Command(os.Args[0], "-http_port=0", "-p2p_port=0", "-p2p_host=127.0.0.1", flag+"="+used)
		cmd.Env = append(os.Environ(), childEnv+"=1")
		out, _ := cmd.CombinedOutput()
		named := strings.Contains(string(out), ":"+used+": bind") && strings.Contains(string(out), flag)
		check(t, flag+" in use: exit code, the port and the flag named", fmt.Sprint(cmd.ProcessState.ExitCode(), named), "1 true")
	}
	for _, tt := range []struct {
		name     string
		signal   os.Signal
		stopping bool // 먼저 POST /stop을 보내고, 말이 없는 연결을 2초까지 기다리며 멈추는 동안 시그널을 보낸다
	}{
		{"Ctrl-C", os.Interrupt, false},
		{"SIGTERM", syscall.SIGTERM, false},
		{"POST /stop, then Ctrl-C while it stops", os.Interrupt, true},
	} {
		c := startNode(t, tt.name)
		c.stopped = true
		if tt.stopping {
			silent, err := net.Dial("tcp", strings.TrimPrefix(c.http, "http://"))
			must(t, err)
			defer silent.Close()
			check(t, tt.name+": POST /stop status", request(client, "POST", c.http+"/stop", "", nil).status, 200)
		}
		must(t, c.cmd.Process.Signal(tt.signal))
		select {
		case <-c.exited:
		case <-time.After(20 * time.Second):
			t.Fatalf("%s: the node did not stop within 20 s", tt.name)
		}
		check(t, tt.name+": exit code (-1 if the signal killed it)", c.cmd.ProcessState.ExitCode(), 0)
	}
}

// ---------- README: 노트를 따라 해 보기(<!-- walkthrough: 4 --> 블록)와 함수 표 ----------

// TestNoteWalkthrough는 노트의 네 부분을 -trace로 띄운 노드 셋으로 따라 하며 노드마다 챕터의 로그 줄이 차례대로 나오는지 본다.
func TestNoteWalkthrough(t *testing.T) {
	w := &walk{t: t, ports: map[string]string{}}
	one := func(d, p string, k int) string { return fmt.Sprintf("%s %s RESPONSE_BLOCKCHAIN 1 block [%d]", d, p, k) } // 블록 하나의 응답
	n1, p1 := w.start(1, nil, "-http_port=0", "-p2p_port=0")
	w.expect(1, "Listening websocket p2p port on: "+port(n1.p2p), "Listening http port on: "+port(n1.http))
	w.step("1. 최초의 피어 깨어남 — 노드 1을 띄운다. initHttpServer와 initP2PServer가 리슨한다.", 1)
	n2, p2 := w.start(2, nil, "-http_port=0", "-p2p_port=0")
	n2.addPeers(n1.p2p)
	e2 := w.inbound(n1) // 노드 1이 보는 노드 2: 노드 2가 연결할 때 쓴 임시 포트
	for num, peer := range map[int]string{2: p1, 1: e2} {
		w.expect(num, "→ "+peer+" QUERY_LATEST", "← "+peer+" QUERY_LATEST", one("→", peer, 0), one("←", peer, 0), nothing)
	}
	w.step("2. 다른 피어가 연결 요청 — 노드 2가 POST /addPeers로 노드 1에 연결한다. 양쪽의 initConnection이 상대의 최신 블록을 요청하고(QUERY_LATEST),"+
		" 받은 제네시스는 더 길지 않아 둘 다 Do nothing.", 1, 2)
	b1, _ := n1.mineBody(`{"data":["첫 번째 블록"]}`)
	check(t, "노드 1 POST /mineBlock: the block's index", b1.Header.Index, 1)
	w.expect(1, one("→", e2, 1), one("←", e2, 1), nothing)
	w.expect(2, one("←", p1, 1), behind+"0,  Peer got: 1", appended, one("→", p1, 1))
	w.step("3. 블록생성 — 노드 1에 POST /mineBlock. mineBlock이 블록을 추가하고 broadcast(responseLatestMsg())로 알린다."+
		" 노드 2는 previousHash가 자기 최신 블록의 해시라 바로 추가하고(첫째 분기) 다시 알린다. 노드 1은 Do nothing.", 1, 2)
	n1.mineBody(`{"data":["두 번째","블록"]}`)
	w.expect(1, one("→", e2, 2), one("←", e2, 2), nothing)
	w.expect(2, one("←", p1, 2), behind+"1,  Peer got: 2", appended, one("→", p1, 2))
	n3, _ := w.start(3, []string{"HTTP_PORT=0", "P2P_PORT=0"}) // 챕터처럼 환경 변수로
	n3.addPeers(n2.p2p)
	e3 := w.inbound(n2, p1) // 노드 2가 보는 노드 3
	w.expect(3, "→ "+p2+" QUERY_LATEST", "← "+p2+" QUERY_LATEST", one("→", p2, 0), one("←", p2, 2), behind+"0,  Peer got: 2", queryPeer,
		"→ "+p2+" QUERY_ALL", "← "+p2+" RESPONSE_BLOCKCHAIN 3 blocks [0…2]", behind+"0,  Peer got: 2", longer, replaced, one("→", p2, 2))
	w.expect(2, "→ "+e3+" QUERY_LATEST", "← "+e3+" QUERY_LATEST", one("→", e3, 2), one("←", e3, 0), nothing,
		"← "+e3+" QUERY_ALL", "→ "+e3+" RESPONSE_BLOCKCHAIN 3 blocks [0…2]", one("←", e3, 2), nothing)
	check(t, "blocks after 노드 3 joined", len(waitSameChain(t, n1, n2, n3)), 3)
	w.step("4. 브로드 캐스트 — 노드 1의 두 번째 블록도 노드 2가 바로 추가한다(첫째 분기). 노드 3이 깨어나 POST /addPeers로 노드 2에 연결한다."+
		" 받은 최신 블록 [2]는 추가할 수 없고 하나뿐이라 노드 2에게 체인 전체를 요청하고(QUERY_ALL, 둘째 분기), 받은 체인이 유효하고 더 길어 바꾼다(셋째 분기).", 1, 2, 3)
	n3.mineBody(`{"data":["셋째"]}`)
	w.expect(3, one("→", p2, 3), one("←", p2, 3), nothing)
	w.expect(2, one("←", e3, 3), behind+"2,  Peer got: 3", appended, one("→", p1, 3), one("→", e3, 3))
	w.expect(1, one("←", e2, 3), behind+"2,  Peer got: 3", appended, one("→", e2, 3))
	check(t, "blocks after 노드 3 mined", len(waitSameChain(t, n1, n2, n3)), 4)
	w.step("4. 브로드 캐스트 — 노드 3에서 생성한 블록이 노드 2를 거쳐(노드 2는 소켓마다 한 줄) 노드 1까지 간다. 되돌아온 알림에는 Do nothing.", 3, 2, 1)
	w.nodes[3].stop()
	w.expect(2, "Connection failed to peer: "+e3+" (…")
	waitFor(t, "노드 2's GET /peers to list only 노드 1 (the address it dialed)", func() bool { return slices.Equal(n2.peers(), []string{p1}) })
	w.step("끝내기 — 노드 3을 POST /stop으로 멈춘다. 노드 2는 그 소켓을 빼며 Connection failed to peer를 찍는다.", 3, 2, 1)
	t.Run("README", w.checkReadme)
}

// walk는 TestNoteWalkthrough의 노드 셋과, 지금 단계가 시작할 때 노드마다 있던 로그 줄 수이다.
type walk struct {
	t     *testing.T
	nodes [4]*testNode      // nodes[1], nodes[2], nodes[3]
	mark  [4]int            // 지금 단계가 시작할 때의 줄 수
	ports map[string]string // 진짜 포트 → README의 포트 (노드 N의 HTTP는 300N, P2P는 600N): -v의 이야기용
}

var walkPorts = regexp.MustCompile(`(127\.0\.0\.1:|port on: )(\d+)`)
var walkHeader = regexp.MustCompile(`^# 노드 ([123])\b`)

// start는 노드 num을 -trace로 띄우고 노드와 그 P2P 주소를 반환한다. env는 더 붙일 환경 변수이다.
func (w *walk) start(num int, env []string, args ...string) (*testNode, string) {
	w.t.Helper()
	n := startChild(w.t, fmt.Sprintf("노드 %d", num), env, append(args, "-trace")...)
	w.nodes[num] = n
	w.ports[port(n.http)], w.ports[port(n.p2p)] = strconv.Itoa(3000+num), strconv.Itoa(6000+num)
	return n, n.addr()
}

// inbound는 n의 GET /peers에 known 말고 하나 더 있는 주소이다: n에 연결해 온 노드의 "주소:임시 포트".
func (w *walk) inbound(n *testNode, known ...string) (peer string) {
	w.t.Helper()
	waitFor(w.t, n.name+" to list a new peer", func() bool {
		peers := slices.DeleteFunc(n.peers(), func(p string) bool { return slices.Contains(known, p) })
		peer = strings.Join(peers, "")
		return len(peers) == 1
	})
	return peer
}

// log는 노드 num이 from 번째 줄부터 찍은 줄이고, walkMissing은 want가 lines에 차례대로 있으면 -1, 아니면 처음 빠진 번호이다.
func (w *walk) log(num, from int) (out []string) {
	for _, l := range w.nodes[num].logLines()[from:] {
		out = append(out, strings.TrimRight(l, " \r"))
	}
	return out
}
func walkMissing(lines, want []string) int {
	i := 0
	for _, l := range lines {
		if i < len(want) && (l == want[i] || strings.HasSuffix(want[i], "…") && strings.HasPrefix(l, strings.TrimSuffix(want[i], "…"))) {
			i++
		}
	}
	return map[bool]int{true: i, false: -1}[i < len(want)]
}

// expect는 노드 num이 이 단계에서 want의 줄들을 이 차례로 찍기를 기다린다.
func (w *walk) expect(num int, want ...string) {
	w.t.Helper()
	var got []string
	waitFor(w.t, fmt.Sprintf("노드 %d to log these lines in this order in this step:\n%s", num, strings.Join(want, "\n")),
		func() bool { got = w.log(num, w.mark[num]); return walkMissing(got, want) < 0 },
		func() string { return "got these lines in this step:\n" + strings.Join(got, "\n") })
}

// step은 단계를 끝낸다: -v이면 설명과, order의 노드마다 이 단계에 찍은 줄을 그 차례로(포트는 README의 것으로) 보인다.
func (w *walk) step(narration string, order ...int) {
	for _, num := range order {
		lines := w.log(num, w.mark[num])
		for _, l := range lines {
			narration += fmt.Sprintf("\n    노드 %d | %s", num, walkPorts.ReplaceAllStringFunc(l, func(m string) string {
				sub := walkPorts.FindStringSubmatch(m)
				return sub[1] + cmp.Or(w.ports[sub[2]], sub[2])
			}))
		}
		w.mark[num] += len(lines)
	}
	w.t.Log(narration)
}

// checkReadme는 README의 walkthrough 블록에서 "# 노드 N…" 아래의 줄들이(시각을 빼고 포트를 PORT로) 노드 N의 로그에 차례대로 있는지 본다.
func (w *walk) checkReadme(t *testing.T) {
	block := readmeBetween(t, "<!-- walkthrough: 4 -->\n```\n", "\n```")
	normal := func(l string) string {
		return walkPorts.ReplaceAllString(l, "${1}PORT")
	}
	want, num := [4][]string{}, 0 // 노드마다 README의 줄들, 지금 읽는 「# 노드 N」
	for _, l := range strings.Split(block, "\n") {
		if m := walkHeader.FindStringSubmatch(l); m != nil {
			num, _ = strconv.Atoi(m[1])
		} else if l = normal(strings.TrimRight(l, " ")); l != "" && !strings.HasPrefix(l, "# ") {
			want[num] = append(want[num], l)
		}
	}
	check(t, "README.md's ``` block right below <!-- walkthrough: 4 -->: lines before any «# 노드 N» line, lines for 노드 1, 2, 3",
		show(want[0], len(want[1]) > 0, len(want[2]) > 0, len(want[3]) > 0), show([]string(nil), true, true, true))
	for num := 1; num <= 3; num++ {
		got := strings.Split(walkPorts.ReplaceAllString(strings.Join(w.log(num, 0), "\n"), "${1}PORT"), "\n") // 노드의 로그도 normal처럼
		if i := walkMissing(got, want[num]); i >= 0 {
			t.Errorf("README.md walkthrough block, 노드 %d: got no %q after the lines above it in its log, want every line in this order.\n"+
				"노드 %d's log (normalized):\n%s", num, want[num][i], num, strings.Join(got, "\n"))
		}
	}
}

// TestReadmeFunctionTable은 README의 함수 표의 첫 칸에 `이름`으로 적힌 Go 함수가 그 파일에 있고, 챕터의 함수가 모두 있는지 본다.
func TestReadmeFunctionTable(t *testing.T) {
	table := readmeBetween(t, "<!-- function-table -->", "<!-- /function-table -->")
	listed := map[string]bool{}
	for _, row := range strings.Split(strings.TrimSpace(table), "\n")[2:] {
		cells := append(strings.Split(row, "|"), "", "") // 칸이 모자라도 아래에서 실패할 뿐 멈추지 않도록
		file := strings.Trim(cells[2], " `")
		src, err := os.ReadFile(file)
		check(t, fmt.Sprintf("table row %q: cells, the file's read error", row), fmt.Sprint(len(cells)-4, " ", err), "2 <nil>")
		for _, m := range regexp.MustCompile("`([A-Za-z_][A-Za-z0-9_]*)`").FindAllStringSubmatch(cells[1], -1) {
			check(t, "README: func "+m[1]+" in "+file, regexp.MustCompile(`(?m)^func (\([^)]*\) )?`+m[1]+`\(`).Match(src), true)
			listed[m[1]] = true
		}
	}
	for _, name := range []string{"initHttpServer", "initP2PServer", "getSockets", "initConnection", "initMessageHandler", "initErrorHandler",
		"closeConnection", "connectToPeers", "handleBlockchainResponse", "queryAllMsg", "queryChainLengthMsg", "responseChainMsg",
		"responseLatestMsg", "write", "broadcast", "mineBlock", "replaceChain", "getBlockchain", "getLatestBlock", "getGenesisBlock",
		"generateNextBlock", "getCurrentVersion", "getCurrentTimestamp", "addBlock", "calculateHash", "calculateHashForBlock", "isValidNewBlock",
		"isValidBlockStructure", "isValidChain"} {
		check(t, "README's function table: a row for the chapter's "+name, listed[name], true)
	}
}

// readmeBetween은 README.md에서 start와 그 뒤 처음 나오는 end 사이의 글이다 (줄 끝은 \n으로). 없으면 테스트를 멈춘다.
func readmeBetween(t *testing.T, start, end string) string {
	t.Helper()
	readme, err := os.ReadFile("README.md")
	_, text, ok := strings.Cut(strings.ReplaceAll(string(readme), "\r\n", "\n"), start)
	text, _, ok2 := strings.Cut(text, end)
	if !ok || !ok2 {
		t.Fatalf("README.md (%v) has no %q … %q", err, start, end)
	}
	return text
}

// ---------- 챕터에 없는 것: JSON을 자바스크립트처럼 ----------

// canonicalJSON은 JSON.stringify(JSON.parse(raw))이다: want는 node 20이 낸 값이고, ""는 자바스크립트처럼 읽을 수 없어 거부하는 값이다.
func TestCanonicalJSON(t *testing.T) {
	for _, tt := range []struct{ raw, want string }{
		{`{"b":1,"2":2,"1":3,"a":4,"b":5}`, `{"1":3,"2":2,"b":5,"a":4}`},
		{`[1.0, 1e0, 1E+2, -0, 0.1, 1e21, 1e-7, 123456789012345678901234567890]`, `[1,1,100,0,0.1,1e+21,1e-7,1.2345678901234568e+29]`},
		{`"<&>\u2028|\u2029"`, "\"<&>\u2028|\u2029\""}, // <, >, & 와 줄 구분 문자는 그대로 쓴다
		{`"a\b\f\n\r\t\u0001\u001f\u007f \"\\\/ 한글"`, "\"a\\b\\f\\n\\r\\t\\u0001\\u001f\x7f \\\"\\\\/ 한글\""},
		{`"\ud83d\ude00"`, `"😀"`},    // 짝을 이룬 서로게이트 이스케이프는 자바스크립트처럼 그 문자이다
		{`"\ud800"`, ``},             // 짝이 없으면 Go는 U+FFFD로 읽는다: 거부한다
		{"\"\uFFFD\"", "\"\uFFFD\""}, // U+FFFD 문자는 둘 다 그 문자로 읽는다 (챕터의 노드가 UTF-8이 아닌 본문에서 만든다)
		{`"\ufffd"`, "\"\uFFFD\""},   // 이스케이프로 써도 그 문자이다
		{`["\ufffd","\udc00"]`, ``},  // 짝 없는 낮은 서로게이트도 거부한다
		{`"\ud800\u0041"`, ``},       // 높은 서로게이트 뒤에 낮은 서로게이트가 아니면 짝이 없다
		{`"\\\ud800"`, ``},           // 역슬래시 문자 뒤의 이스케이프는 이스케이프이다
		{`["\ud569\ub2c8\ub2e4","\ufffd"]`, `["합니다","�"]`}, // 파이썬의 json.dumps처럼 이스케이프한 한글과 U+FFFD
		{`["\ud83d\ude00","\ufffd"]`, `["😀","�"]`},
		{`["C:\\udemy","\ufffd"]`, `["C:\\udemy","�"]`}, // 역슬래시 문자 뒤의 udemy는 이스케이프가 아니다
		{`"\\ud800 \\u2028"`, `"\\ud800 \\u2028"`},      // 역슬래시 문자 뒤의 글은 이스케이프가 아니다
		{`{"4294967295":1,"4294967294":2,"01":3,"-1":4}`, `{"4294967294":2,"4294967295":1,"01":3,"-1":4}`},
		{`1e400`, ``},            // 자바스크립트는 Infinity로 읽고 null로 쓴다
		{`[{"toString":1}]`, ``}, // String()이 예외를 던진다
		{`{"a":{"toString":1}}`, `{"a":{"toString":1}}`}, // 객체 안의 객체에는 String()이 닿지 않는다
		{strings.Repeat("[", maxDepth+2) + strings.Repeat("]", maxDepth+2), ``},
		{"\"\xff\"", ``},
		{`[1] 2`, ``},
	} {
		got, _, err := canonicalJSON([]byte(tt.raw))
		check(t, fmt.Sprintf("canonicalJSON(%.40s) or \"\" (%v)", tt.raw, err), map[bool]string{true: string(got)}[err == nil], tt.want)
	}
}

// readMessage는 JSON.stringify가 쓴 형식 그대로인 메시지만 받는다: 자바스크립트가 다르게 읽을 메시지와 잘린 프레임이 걸러진다.
func TestReadMessage(t *testing.T) {
	chain := makeChain(2, "r")
	text, block := string(stringify(chain)), string(stringify(chain[1]))
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
		{"a U+FFFD in data (the chapter's node mines it from a body that is not UTF-8)", response(string(stringify(makeChain(2, "\uFFFD")))), true},
		{"a block whose merkle root is not that of its data (it can never be valid)", response(`[` + strings.Replace(block, `["r block 1"]`, `["other data"]`, 1) + `]`), false},
	} {
		_, _, err := readMessage([]byte(tt.frame))
		check(t, tt.name+": read without error", err == nil, tt.ok)
	}
}

// ---------- 동시성과 퍼즈 ----------

// 여러 클라이언트가 동시에 블록을 생성해도 잃는 블록이 없고, 연결된 피어는 모든 블록을 체인 순서대로 받는다.
func TestConcurrentMiningLosesNothing(t *testing.T) {
	peer := startNode(t, "peer")
	n := startNode(t, "miner", peer.p2p)
	waitFor(t, "the peers to connect", func() bool { return len(n.peers()) == 1 && len(peer.peers()) == 1 })
	check(t, "POST /mineBlock that failed (8 clients, 80 blocks)", mineAtOnce(client, n.http, 8, 80), 0)
	chain := waitSameChain(t, n, peer)
	check(t, "blocks, valid", fmt.Sprint(len(chain), isValidChain(chain)), "81 true")
	check(t, "times the peer asked for the whole chain (every block arrived in order)", peer.countLog(queryPeer), 0)
}

// mineAtOnce는 clients 개의 고루틴이 함께 POST /mineBlock을 모두 count 번(data는 저마다 다르다) 보내고, 200이 아닌 응답의 수를 반환한다.
func mineAtOnce(hc *http.Client, url string, clients, count int) int32 {
	var next, failed atomic.Int32
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			for i := next.Add(1); i <= int32(count); i = next.Add(1) {
				if request(hc, "POST", url+"/mineBlock", fmt.Sprintf(`{"data":["%d"]}`, i), nil).status != 200 {
					failed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	return failed.Load()
}

// FuzzReceive는 아무 바이트나 받은 뒤에도 체인이 유효하고, QUERY_LATEST에 응답하고, 올바른 다음 블록을 추가하는지 본다.
func FuzzReceive(f *testing.F) {
	chain := makeChain(3, "seed")
	for _, seed := range []string{`{"type":0,"data":null}`, `{"type":1,"data":null}`, string(chainFrame(chain)),
		string(chainFrame(chain[1:2])), response(`[]`), response(`[1]`), `{"type":2,"data":"[{\"header\":{}}]"}`, `[]`, `{}`} {
		f.Add([]byte(seed))
	}
	discardLog(f)
	f.Cleanup(resetChain)
	f.Fuzz(func(t *testing.T, data []byte) {
		resetChain()
		ws := newTestSocket(t, "fuzz")
		receive(ws, data)
		drain(ws)
		chain := chainNow()
		check(t, fmt.Sprintf("after %q, the chain is valid", data), isValidChain(chain), true)
		latest := chain[len(chain)-1]
		receive(ws, []byte(queryLatest))
		check(t, fmt.Sprintf("after %q, the answer to QUERY_LATEST", data), show(drain(ws)), show([]string{string(chainFrame([]Block{latest}))}))
		next := nextBlock(latest, "fuzz")
		receive(ws, chainFrame([]Block{next}))
		drain(ws)
		sameChain(t, fmt.Sprintf("after %q, the chain after a valid next block", data), chainNow(), append(chain, next))
	})
}

// ---------- 한계: README의 「지키는 한계」 한 줄마다 한 행 ----------

// TestLimits는 README의 「지키는 한계」 표의 행마다 한 행이다: 한계를 넘겨 보고 그 결과(체인, 피어가 받은 것, 연결, 힙, mu를
// 잠근 시간)를 본다. 행마다 그 한계를 없앤 복사본에서 실패하는 것을 확인했다. 행 이름은 표의 첫 칸에서 `, 괄호 안, / 를
// 뺀 것이다(" / "는 ", ").
func TestLimits(t *testing.T) {
	var readmeRows, rows []string
	for _, line := range strings.Split(readmeBetween(t, "| 무엇 | 한계 | 넘으면 |\n|---|---|---|\n", "\n\n"), "\n") {
		cell := regexp.MustCompile("`|\\(.*?\\)").ReplaceAllString(strings.Split(line+"|", "|")[1], "")
		readmeRows = append(readmeRows, strings.ReplaceAll(strings.ReplaceAll(strings.TrimSpace(cell), " / ", ", "), "/", ""))
	}
	var n *testNode // 행마다 새 노드 n (이 프로세스 안)과, 그 노드에 메시지를 바로 넣을 소켓 ws로 돈다
	var ws *socket
	for _, row := range []struct {
		name string
		run  func(t *testing.T)
	}{
		// 64 MiB를 넘는 프레임을 보낸 연결과 64 MiB + 16 KiB를 넘게 핑을 보낸 연결만 닫히고, 다른 연결은 계속 응답을 받는다.
		{"받는 웹소켓 프레임 하나", func(t *testing.T) {
			good, r := rawDial(t, n.p2p)
			conn, _ := rawDial(t, n.p2p)
			pinger, _ := rawDial(t, n.p2p)
			waitFor(t, "three sockets", func() bool { return len(socketsNow()) == 3 })
			conn.Write(rawFrameHeader(1, maxFrameBytes+1)) // 머리만 보낸다: 노드는 길이를 보고 끊는다
			check(t, fmt.Sprintf("connection closed after a frame header of %d bytes", maxFrameBytes+1), closedWithin(conn, 5*time.Second), true)
			writeRawFrame(t, pinger, queryLatest)      // 첫 메시지를 보내 두어, 첫 메시지를 기다리는 시간 제한으로 닫히지 않게 한다
			ping := maxFrameBytes + bigMessage + 8<<10 // x/net은 핑의 길이를 보지 않는다. 한계 위로 읽는 버퍼 하나(4 KiB)까지 더 읽힌다
			flood(pinger, string(rawFrameHeader(9, uint64(ping))), int64(ping))
			check(t, fmt.Sprintf("connection closed during a ping of %d bytes", ping), closedWithin(pinger, 5*time.Second), true)
			waitFor(t, "the big frames' sockets to leave", func() bool { return len(socketsNow()) == 1 })
			writeRawFrame(t, good, queryLatest)
			check(t, "the other connection's answer", readUntil(t, good, r, answerPrefix), string(chainFrame(chainNow()[:1])))
		}},
		// 16 KiB를 넘는 메시지는 둘씩만 읽는다: 4 MiB 프레임 16개가 한꺼번에 와도 힙은 하나일 때의 네 배 안이고, 셋째는 기다린다.
		{"16 KiB를 넘는 메시지", func(t *testing.T) {
			junk := append(rawFrameHeader(1, 4<<20), strings.Repeat("x", 4<<20)...)
			peak := func(peers int) uint64 { // 잘못된 4 MiB 프레임을 peers 개가 한꺼번에 보낼 때 힙이 자란 가장 큰 값
				conns := make([]net.Conn, peers)
				for i := range conns {
					conns[i], _ = rawDial(t, n.p2p)
				}
				defer closeAllSockets(t)
				grew, _ := heap(func() {
					for _, c := range conns {
						go c.Write(junk)
					}
					waitFor(t, "every junk frame to be refused", func() bool {
						return !slices.ContainsFunc(conns, func(c net.Conn) bool { return badOf(socketOf(c)) != 1 })
					})
				})
				return grew
			}
			one := peak(1)
			atMost(t, "heap growth with 16 peers sending 4 MiB frames at once (4× one peer's)", peak(16), 4*one)
			// 1 MiB라 하고 20 KiB만 보내는 피어(stall이 k개 연다)가 자리를 쥐어도, 기다리는 정직한 피어는 닫히지 않고 먼저 자리를 얻는다.
			stall := func(k int) (conns []net.Conn) {
				for range k {
					conn, r := rawDial(t, n.p2p)
					readRawFrame(r)
					conn.Write(append(rawFrameHeader(1, 1<<20), make([]byte, 20<<10)...))
					conns = append(conns, conn)
				}
				return conns
			}
			setLimit(t, &writeTimeout, 3*time.Second)
			stall(2)
			waitFor(t, "both places to be taken", func() bool { return len(bigReads) == 2 })
			setLimit(t, &writeTimeout, time.Second)
			chain := makeChain(200, "big") // 약 50 KiB
			honest, r := rawDial(t, n.p2p)
			readRawFrame(r)
			writeRawFrame(t, honest, string(chainFrame(chain)))
			stall(2)
			waitFor(t, "the honest chain or its socket to go", func() bool { return len(chainNow()) == len(chain) || socketOf(honest) == nil })
			check(t, "blocks of an honest 55 KB chain that waited while stalled big messages held both places", len(chainNow()), len(chain))
			waitFor(t, "the stalled messages' places to be given back (writeTimeout 1 s)", func() bool { return len(bigReads) == 0 })
			for range 2 { // 핸드셰이크 전의 연결은 16 KiB까지만 읽으므로 자리를 얻지 못한다: net/http이 스스로 응답하는 OPTIONS *에 17 KB의 본문을 보내도.
				c := tcpDial(t, n.p2p, 0, "OPTIONS * HTTP/1.1\r\nHost: localhost\r\nContent-Length: 17000\r\n\r\n"+strings.Repeat("x", 17000))
				closedWithin(c, 5*time.Second)
			}
			check(t, "places taken after two OPTIONS * with 17 KB bodies", len(bigReads), 0)
			setLimit(t, &writeTimeout, time.Minute) // 슬롯을 기다리다 닫힌 소켓은 기다림도 끝난다: 닫힌 연결의 읽는 고루틴이 슬롯을 기다리며 쌓이지 않는다.
			stall(2)
			waitFor(t, "both places to be taken again", func() bool { return len(bigReads) == 2 })
			before := runtime.NumGoroutine()
			for _, c := range stall(20) {
				waitFor(t, "a waiting socket", func() bool { return socketOf(c) != nil })
				socketOf(c).close(errors.New("closed by the test"))
			}
			waitFor(t, "goroutines back to the count before 20 sockets waited and were closed", func() bool { return runtime.NumGoroutine() <= before })
		}},
		// 체인 전체의 응답이 2^20개의 값이나 64 MiB, 블록 maxBlocks개를 넘게 할 블록은 추가하지 않고(/mineBlock은 400), 가진 체인은 새 Go 노드가 받는다.
		{"가진 체인 전체의 QUERY_ALL 응답", func(t *testing.T) {
			tip := func() Block { c := chainNow(); return c[len(c)-1] }
			for i := 1; i <= 4; i++ { // 값 쪽: 제네시스의 값 1개 + 300,000개(["","",…]) 블록 3개는 2^20 안이고, 4번째는 넘는다.
				receive(ws, chainFrame([]Block{blockOn(tip(), values(`""`, 300000), valuesRoot("", 300000))}))
				check(t, fmt.Sprintf("blocks after block %d of 300,000 values", i), len(chainNow()), min(i, 3)+1)
			}
			receive(ws, chainFrame([]Block{blockOn(tip(), values(`""`, 120000), valuesRoot("", 120000))}))
			// 마지막 블록만 내 체인에 붙는, 블록 수가 추가한 뒤의 내 체인과 같은 메시지: 그 블록만 추가하고, 적어 두는 비용은 메시지가 아니라 체인의 것이다
			copies := slices.Repeat([]Block{genesisBlock}, len(chainNow()))
			receive(ws, chainFrame(append(copies, blockOn(tip(), `[]`, Hash{}))))
			check(t, "blocks after genesis copies and a block on ours, as many as the chain will have", len(chainNow()), 6)
			left := maxLeaves - (1 + 3*300000 + 120000) // /mineBlock 한 번(100 KB)으로 채울 수 있는 값 수
			for _, tt := range []struct{ values, status int }{{left + 1, 400}, {left, 200}} {
				got := request(client, "POST", n.http+"/mineBlock", `{"data":`+values(`""`, tt.values)+`}`, nil)
				check(t, fmt.Sprintf("POST /mineBlock with %d values, %d left", tt.values, left), got.status, tt.status)
			}
			fresh := startNode(t, "fresh", n.p2p)
			waitSameChain(t, n, fresh)
			fresh.stop()
			// 블록 수 쪽: 블록이 maxBlocks개보다 많은 프레임은 잘못된 메시지이고, maxBlocks개인 체인에는 블록을 추가하지 않는다.
			long, peer := makeChain(maxBlocks, "n"), newTestSocket(t, "peer")
			receive(peer, chainFrame(long))
			check(t, "blocks, bad messages after a frame of maxBlocks+1 blocks", fmt.Sprint(len(chainNow()), badOf(peer)), "7 1")
			receive(peer, chainFrame(long[:maxBlocks]))
			receive(peer, chainFrame(long[maxBlocks:]))
			check(t, "blocks after a chain of maxBlocks blocks and one more block", len(chainNow()), maxBlocks)
			check(t, "POST /mineBlock on a chain of maxBlocks blocks", request(client, "POST", n.http+"/mineBlock", `{"data":[]}`, nil), reply{400, "Bad Request"})
			if raceOn {
				t.Skip("the 64 MiB side is checked without -race (.ci/run)")
			}
			fill := `["` + strings.Repeat(`\\`, 520000) + `"]` // 바이트 쪽: 응답에서 2 MB인 블록 32개로 채우고, 남은 바이트를 딱 채운다
			chain, root := []Block{genesisBlock}, dataRoot(fill)
			for range 32 {
				chain = append(chain, blockOn(chain[len(chain)-1], fill, root))
			}
			setChain(chain)
			xs := func(m int) string { return `["` + strings.Repeat("x", m) + `"]` }
			own := len(chainFrame([]Block{genesisBlock, blockOn(tip(), xs(0), Hash{})})) - len(chainFrame([]Block{genesisBlock}))
			m := maxFrameBytes - len(chainFrame(chain)) - own
			receive(ws, chainFrame([]Block{blockOn(tip(), xs(m+1), dataRoot(xs(m+1)))}))
			check(t, fmt.Sprintf("blocks after one that would make the answer %d bytes (not added)", maxFrameBytes+1), len(chainNow()), 33)
			receive(ws, chainFrame([]Block{blockOn(tip(), xs(m), dataRoot(xs(m)))}))
			receive(ws, []byte(queryAll))
			sent := drain(ws) // 추가한 블록의 알림과 QUERY_ALL의 응답
			answer := []byte(sent[len(sent)-1])
			_, _, err := readMessage(answer)
			check(t, "the answer after a block making it 64 MiB: its bytes, a Go receiver's error", show(len(answer), err), show(maxFrameBytes, nil))
			check(t, "POST /mineBlock on the full chain", request(client, "POST", n.http+"/mineBlock", `{"data":[]}`, nil), reply{400, "Bad Request"})
		}},
		// data가 1 MiB, version이 256바이트를 넘거나 index가 2^53, 해시가 소문자인 블록이 든 체인은 잘못된 메시지이고, 딱 한계인 블록은 받는다.
		{"블록 하나", func(t *testing.T) {
			g, b1 := genesisBlock, nextBlock(genesisBlock, "first")
			ys := func(size int) string { return `["` + strings.Repeat("y", size-4) + `"]` }
			chain := func(data string, version string, index int64) string { // 제네시스, b1, 그 다음 블록의 JSON
				b := blockOn(b1, data, dataRoot(data))
				b.Header.Version, b.Header.Index = version, index
				return string(stringify([]Block{g, b1, b}))
			}
			lower := strings.Replace(chain(`[]`, "2.1.0", 2), calculateHashForBlock(b1).String(), strings.ToLower(calculateHashForBlock(b1).String()), 1)
			early := strings.Replace(chain(`[]`, "2.1.0", 2), `"timestamp":1700000002`, `"timestamp":-9007199254740992`, 1) // -2^53
			for i, c := range []string{chain(ys(maxBlockDataBytes+1), "2.1.0", 2), chain(`[]`, strings.Repeat("v", 257), 2),
				chain(`[]`, "2.1.0", 1<<53), early, lower, chain(ys(maxBlockDataBytes), strings.Repeat("v", 256), 2)} { // 다섯은 거부, 마지막은 받는다
				peer := newTestSocket(t, "peer")
				receive(peer, []byte(response(c)))
				check(t, fmt.Sprintf("case %d: blocks, bad messages", i), fmt.Sprint(len(chainNow()), badOf(peer)), fmt.Sprint(1+2*(i/5), 1-i/5))
			}
		}},
		// 프레임의 data 값이 2^20개를 넘으면 해시하기 전에(넷째 1 MiB 블록에서) 거부하고, 이어지지 않는 블록은 처음과 마지막만 해시한다.
		{"프레임 하나의 data 값", func(t *testing.T) {
			count := maxBlockDataBytes / 3 // 1 MiB의 ["","",…]: 블록 셋이면 2^20개에 조금 못 미친다
			data, root := values(`""`, count), valuesRoot("", count)
			one := chainFrame([]Block{{Header: BlockHeader{"2.1.0", 5, Hash{}, 1700000000, root}, Data: json.RawMessage(data)}}) // 붙지 않는 블록 하나
			chain := []Block{genesisBlock}
			for range 16 {
				chain = append(chain, blockOn(chain[len(chain)-1], data, root))
			}
			big := chainFrame(chain[1:])
			before := allocated()
			receive(ws, one) // 블록 하나를 끝까지 읽는 데 드는 할당
			perBlock, before := allocated()-before, allocated()
			grew, _ := heap(func() { receive(ws, big) })
			used := allocated() - before
			check(t, fmt.Sprintf("a frame of %d data values: blocks, bad messages", 16*count), fmt.Sprint(len(chainNow()), badOf(ws)), "1 1")
			atMost(t, "bytes allocated refusing it (6 blocks' reading: it parses every block and stops hashing at the fourth)", used, 6*perBlock)
			atMost(t, "heap growth refusing it (16 frames)", grew, 16*uint64(len(big)))
			junk := slices.Clone(chain[1:])
			for i := range junk {
				junk[i].Header.PreviousHash = Hash{} // 앞 블록에 이어지지 않는다
			}
			receive(ws, chainFrame(junk)) // 처음과 마지막 블록만 해시하므로 2^20개에 이르지 않는다: 잘못된 메시지가 아니다
			check(t, "bad messages after 16 unchained blocks of the same data", badOf(ws), 1)
			// 배열 안의 값도 센다: 맨 위에는 값이 하나뿐인 [[0,0,…]] 블록 셋(중첩된 값 120만 개)도 2^20개를 넘는다.
			zeros := strings.Repeat("0,", 400000) + "0"
			nested := []Block{genesisBlock}
			for range 3 {
				nested = append(nested, blockOn(nested[len(nested)-1], "[["+zeros+"]]", valuesRoot(zeros, 1)))
			}
			receive(ws, chainFrame(nested[1:]))
			check(t, "three blocks of [[0,0,…]] with 400,001 zeros each: blocks, bad messages", fmt.Sprint(len(chainNow()), badOf(ws)), "1 2")
		}},
		// 프레임에서 2 MiB인 쓰레기 블록 뒤의 작은 다음 블록을 추가해도, 노드는 프레임이 아닌 그 블록의 복사본만 쥔다.
		{"받은 블록이 쥐는 메모리", func(t *testing.T) {
			junk := Block{Data: json.RawMessage(`["` + strings.Repeat(`\\`, maxBlockDataBytes/2-2) + `"]`)} // 프레임에서 역슬래시가 두 배가 된다
			junk.Header.MerkleRoot = dataRoot(string(junk.Data))
			_, grew := heap(func() {
				for i := range 10 {
					receive(ws, chainFrame([]Block{junk, nextBlock(chainNow()[i], fmt.Sprint("small ", i))}))
				}
			})
			runtime.KeepAlive(junk)
			check(t, "blocks after 10 frames of 2 MiB each ending in a next block", len(chainNow()), 11)
			atMost(t, "heap kept after them", grew, 4<<20)
		}},
		// 1 MiB의 ["","",…] 블록 둘을 받아 쥐면 힙은 그 JSON 글만큼(2 MiB 쯤) 자란다: 값마다 따로 두지 않는다.
		{"저장한 data의 메모리", func(t *testing.T) {
			const count = maxBlockDataBytes / 3 // 349,525개
			b1 := blockOn(genesisBlock, values(`""`, count), valuesRoot("", count))
			f1, f2 := chainFrame([]Block{b1}), chainFrame([]Block{blockOn(b1, values(`""`, count), valuesRoot("", count))})
			_, grew := heap(func() { receive(ws, f1); receive(ws, f2) })
			runtime.KeepAlive([][]byte{f1, f2})
			check(t, "blocks after two blocks of 1 MiB", len(chainNow()), 3)
			atMost(t, "heap kept by them", grew, 8<<20)
		}},
		// 가장 긴 체인(블록 maxBlocks개)을 받고 응답하고 더해도, 더 긴 포크를 번갈아 보내는 피어가 있어도 mu는 50 ms 안에 풀리고 힙과 정직한 피어는 지켜진다.
		{"받은 메시지 하나가 mu를 잠그는 시간", func(t *testing.T) {
			longest := sync.OnceValue(func() []Block { // 제네시스까지 블록 maxBlocks개, version은 한계인 256바이트: 해시하기 가장 비싼 가장 긴 체인 (두 행이 한 번 만든다)
				chain := []Block{genesisBlock}
				for i := 1; i < maxBlocks; i++ {
					block := nextBlock(chain[i-1], "x")
					block.Header.Version = strings.Repeat("v", 256)
					chain = append(chain, block)
				}
				return chain
			})
			t.Run("가장 긴 체인", func(t *testing.T) {
				if raceOn || testing.Short() {
					t.Skip("a timing on the largest chain: .ci/run runs it without -race")
				}
				chain := longest()
				n := len(chain)
				frame := chainFrame(chain[:n-1]) // 마지막 한 블록은 따로 추가한다
				step := func(name string, frame []byte) {
					held := muHeld(func() { receive(ws, frame) })
					t.Logf("%s (%d blocks): mu held at most %v", name, n, held)
					atMost(t, name+": mu held", held, 25*time.Millisecond) // README의 50 ms보다 좁게: 10 ms 쯤이다
				}
				step("receive the chain", frame)
				step("answer QUERY_ALL", []byte(queryAll))
				step("append a block", chainFrame(chain[n-1:n]))
				step("answer QUERY_ALL on the longer chain", []byte(queryAll))
				answers := append(drain(ws), "", "") // 끝의 둘은 답이 모자라도 아래가 멈추지 않도록
				check(t, "blocks, answers, the first is the received frame, the second fits 64 MiB", show(len(chainNow()), len(answers)-2,
					answers[0] == string(frame), len(answers[1]) <= maxFrameBytes), show(n, 2, true, true))
			})
			// 챕터의 검증은 mu를 잠근 채 tempBlocks의 배열 하나(블록 16,384개면 2 MB)만 할당한다: 블록마다 해시를 +로 이어
			// 할당하거나(7 MB) tempBlocks가 append로 자라면(10 MB) 거의 유효한 가장 긴 체인을 보내는 피어 둘에 GC가 겹쳐 mu를
			// 50 ms 넘게 잠갔다 (노드 밖에서 잰 공격).
			t.Run("가장 긴 체인의 검증이 할당하는 바이트", func(t *testing.T) {
				if raceOn {
					t.Skip("-race builds the longest chain slowly: .ci/run runs this row without -race")
				}
				chain := slices.Clone(longest())
				prepared, err := prepareBlocks(chain) // 받은 메시지처럼 머클 루트는 mu를 잠그기 전에 구해 둔다 (receive)
				var bytes uint64
				locked(func() {
					known = prepared
					before := allocated()
					isValidChain(chain)
					bytes = allocated() - before // tempBlocks의 배열과, 제네시스 블록을 stringify 하는 몇 KB
					known = tally{}
				})
				check(t, "preparing the chain", err, nil)
				atMost(t, fmt.Sprintf("bytes allocated validating %d blocks", len(chain)), bytes, uint64(len(chain))*uint64(reflect.TypeFor[Block]().Size())+64<<10)
			})
			// 거의 유효한 가장 긴 체인을 함께 보내는 피어 둘, 작은 메시지를 쏟아붓는 피어 서른과 큰 본문을 쏟아붓는 로컬 클라이언트 넷이 있어도, mu 밖에서 CPU를 쓰는 고루틴은
			// 코어 수까지라(cpuSlots), 가장 긴 체인을 검증하며 잠근 mu도 곧 풀린다.
			t.Run("작은 메시지를 쏟아붓는 피어들", func(t *testing.T) {
				if raceOn || testing.Short() {
					t.Skip("a timing under load: .ci/run runs it without -race")
				}
				resetChain()
				chain := slices.Clone(longest())
				chain[len(chain)-1].Header.Index++                                                                                     // 마지막 블록만 이어지지 않는다: 챕터의 검증은 끝까지 돌고 실패한다
				long, small := chainFrame(chain), chainFrame([]Block{blockOn(genesisBlock, values("0", 7000), valuesRoot("0", 7000))}) // 16 KiB 안
				var stop atomic.Bool
				var wg sync.WaitGroup
				for i := range 30 {
					peer := newTestSocket(t, fmt.Sprint("flood ", i))
					wg.Go(func() {
						for !stop.Load() {
							receive(peer, small)
						}
					})
				}
				body := `{"data":[` + strings.Repeat("0,", 48000) + `{"toString":0}]}` // 100 KB 안: 끝까지 파싱한 뒤 400이다
				for range 4 {
					wg.Go(func() {
						for !stop.Load() {
							request(client, "POST", n.http+"/mineBlock", body, nil)
						}
					})
				}
				held := muHeld(func() { // 피어 둘이 함께 그 체인을 세 번씩 보낸다
					var senders sync.WaitGroup
					for _, peer := range []*socket{ws, newTestSocket(t, "second")} {
						senders.Go(func() {
							for range 3 {
								receive(peer, long)
							}
						})
					}
					senders.Wait()
				})
				stop.Store(true)
				wg.Wait()
				t.Logf("mu held at most %v", held)
				atMost(t, "mu held while 2 peers send the longest chain, 30 peers flood small messages and 4 clients big bodies", held, 50*time.Millisecond)
			})
			base, steps := map[bool]int{false: 12000, true: 4000}[raceOn], 6 // 프레임 하나가 5 MiB 쯤 (-race에서는 1.5 MiB 쯤)
			tag := func(c string) string { return strings.Repeat(c, 150) }
			chains := [3][]Block{makeChain(base+steps, tag("A")), makeChain(base+steps, tag("B")), makeChain(base+steps, tag("C"))}
			frame := len(chainFrame(chains[0]))
			// attack은 정직한 자식 노드와 피어 둘이 연결한 노드에서 step을 차례로 돌리며 mu를 잠근 시간, 힙과 정직한 피어의 체인을 본다.
			attack := func(name string, step func(t *testing.T, peers [2]net.Conn, r *bufio.Reader, i int)) {
				t.Run(name, func(t *testing.T) {
					resetChain() // 행의 노드를 다시 쓴다: 제네시스 하나와 소켓 없이
					closeAllSockets(t)
					honest := startNode(t, "honest", n.p2p)
					waitFor(t, "the honest node to connect", func() bool { return len(socketsNow()) == 1 })
					first, r := rawDial(t, n.p2p)
					second, _ := rawDial(t, n.p2p)
					peers := [2]net.Conn{first, second}
					var held time.Duration
					peak, kept := heap(func() {
						held = muHeld(func() {
							for i := range steps {
								step(t, peers, r, i) // 체인이 (제네시스까지) 블록 base+i+2개가 되게 한다
								waitFor(t, fmt.Sprintf("a chain of %d blocks", base+i+2), func() bool { return len(chainNow()) == base+i+2 })
							}
							waitFor(t, "answers in flight", func() bool { return queuedNow() == 0 }) // 힙을 재기 전에 보내던 체인이 다 나가게
							waitSameChain(t, n, honest)
							closeAllSockets(t) // 정직한 노드가 QUERY_ALL마다 응답해 보내는 중인 체인은 버린다: 남는 힙은 노드가 쥔 것이다
							waitFor(t, "large reads to end", func() bool { return len(bigReads) == 0 })
						})
					})
					runtime.KeepAlive(&chains) // 테스트가 만든 체인들은 재는 동안 산 채로 둔다
					t.Logf("mu held at most %v", held)
					atMost(t, "mu held", held, scaled(50*time.Millisecond))
					atMost(t, fmt.Sprintf("heap growth (24 frames of %d bytes)", frame), peak, 24*uint64(frame))
					atMost(t, "heap kept (3 frames)", kept, 3*int64(frame))
				})
			}
			attack("번갈아 더 긴 두 포크", func(t *testing.T, peers [2]net.Conn, _ *bufio.Reader, i int) {
				writeRawFrame(t, peers[i%2], string(chainFrame(chains[i%2][:base+i+2])))
			})
			attack("QUERY_ALL마다 한 블록 더 긴 체인", func(t *testing.T, peers [2]net.Conn, r *bufio.Reader, i int) {
				fake := Block{Header: BlockHeader{"2.1.0", 1 << 40, sha256.Sum256([]byte{byte(i)}), 1700000000, Hash{}}, Data: json.RawMessage(`[]`)}
				writeRawFrame(t, peers[0], string(chainFrame([]Block{fake}))) // 요청하게 하려고 추가할 수 없는 블록을 먼저 보낸다
				readUntil(t, peers[0], r, queryAll)
				writeRawFrame(t, peers[0], string(chainFrame(chains[2][:base+i+2])))
			})
		}},
		// 잘못된 메시지 4개로는 연결이 그대로이고 5번째에 닫힌다. 두 프레임으로 나눈 메시지는 잘못된 메시지 둘이다 (npm ws는 이어 붙인다).
		{"한 피어의 잘못된 메시지", func(t *testing.T) {
			conn, r := rawDial(t, n.p2p)
			msg := chainFrame([]Block{nextBlock(genesisBlock, "split")})
			first := append(rawFrameHeader(1, uint64(len(msg)/2)), msg[:len(msg)/2]...)
			first[0] &^= 0x80 // FIN이 없다: 이어지는 프레임이 온다
			conn.Write(append(first, append(rawFrameHeader(0, uint64(len(msg)-len(msg)/2)), msg[len(msg)/2:]...)...))
			for range maxBadMessages - 3 {
				writeRawFrame(t, conn, `hello`)
			}
			writeRawFrame(t, conn, queryLatest)
			check(t, "the answer after a split message and 2 bad ones", readUntil(t, conn, r, answerPrefix), string(chainFrame(chainNow()[:1])))
			check(t, "bad messages after a split message and 2 bad ones", badOf(socketOf(conn)), maxBadMessages-1)
			writeRawFrame(t, conn, `hello`)
			check(t, fmt.Sprintf("connection closed after %d bad messages", maxBadMessages), closedWithin(conn, 5*time.Second), true)
			waitFor(t, "the socket to leave", func() bool { return len(socketsNow()) == 0 })
			// 한 번에 쓴 잘못된 메시지 3000개: 다섯 번째에 닫고, 이미 읽어 둔 나머지는 처리하지 않는다 (로그도 다섯 줄).
			burst, _ := rawDial(t, n.p2p)
			waitFor(t, "the burst's socket", func() bool { return socketOf(burst) != nil })
			addr, frames := socketOf(burst).addr, []byte{}
			for range 3000 {
				frames = append(frames, append(rawFrameHeader(1, 5), "hello"...)...)
			}
			burst.Write(frames)
			check(t, "3000 bad messages in one write: closed", closedWithin(burst, 5*time.Second), true)
			waitFor(t, "the socket to leave", func() bool { return len(socketsNow()) == 0 })
			check(t, "3000 bad messages in one write: Ignored lines", n.countLog("Ignored message from "+addr), maxBadMessages)
			// 백만 자리 index가 든 메시지도 로그는 몇백 바이트이다: encoding/json의 에러는 그 수를 통째로 담는다.
			huge := strings.Replace(string(chainFrame([]Block{nextBlock(genesisBlock, "huge")})), `\"index\":1`, `\"index\":1`+strings.Repeat("0", 1<<20), 1)
			before := len(n.logText())
			receive(ws, []byte(huge))
			atMost(t, "bytes logged for a message with a 1,000,001-digit index", len(n.logText())-before, 500)
		}},
		// 시간 제한이 1초인 노드에서: 끝나지 않는 요청 머리, 8 KiB를 넘는 요청 머리, 첫 메시지가 없는 연결은 닫히고 말하는 연결은 남는다.
		{"들어온 연결의 핸드셰이크 요청 헤더, 첫 메시지", func(t *testing.T) {
			q := startChild(t, "quick", []string{timeoutEnv + "=1s"}, "-http_port=0", "-p2p_port=0")
			talking, r := rawDial(t, q.p2p)
			writeRawFrame(t, talking, queryLatest)
			silent, _ := rawDial(t, q.p2p)
			head := tcpDial(t, q.p2p, 0, "GET / HTTP/1.1\r\nHost: localhost\r\n") // 머리를 끝내지 않는다
			big := tcpDial(t, q.p2p, 0, upgrade+"X-Junk: "+strings.Repeat("j", 2*maxHeaderBytes+1024)+"\r\n\r\n")
			status := statusCode(big, 5*time.Second)
			check(t, "a handshake request with a 9 KiB header: status "+status+" is 101, closed", fmt.Sprint(status == "101", closedWithin(big, 4*time.Second)), "false true")
			idle := tcpDial(t, q.p2p, 0, "OPTIONS * HTTP/1.1\r\nHost: localhost\r\n\r\n") // net/http이 스스로 응답하고 연결을 열어 둔다
			check(t, "OPTIONS * on the P2P port", statusCode(idle, 5*time.Second), "200")
			for what, c := range map[string]net.Conn{"an unfinished handshake request": head, "a connection that sends no message": silent, "an idle connection after OPTIONS *": idle} {
				check(t, what+": closed within 4 s (the limit is 1 s)", closedWithin(c, 4*time.Second), true)
			}
			readUntil(t, talking, r, answerPrefix)
			waitFor(t, "only the talking peer", func() bool { return len(q.peers()) == 1 })
		}},
		// 연결한 피어가 101 뒤에 끝없는 머리 줄을 보내도 4 KiB에서 곧 끊고, 응답이 없는 피어는 dialTimeout에 끊는다.
		{"연결한 피어의 핸드셰이크 응답", func(t *testing.T) {
			wrote := make(chan int64, 1) // 끝없는 피어가 쓴 바이트: 한계가 없으면 256 MiB
			endless := fakePeer(t, func(c net.Conn) { wrote <- flood(c, "HTTP/1.1 101 Switching Protocols\r\nX-Endless: ", 256<<20) })
			start, took, written := time.Now(), time.Duration(0), int64(0)
			grew, _ := heap(func() {
				n.addPeers(endless)
				waitFor(t, "the dial to fail", func() bool { return dialedNow() == 0 })
				took, written = time.Since(start), <-wrote
			})
			atMost(t, "endless handshake answer: time to fail (well under dialTimeout)", took, 2*time.Second)
			atMost(t, "bytes the endless peer wrote", written, 16<<20)
			atMost(t, "heap growth meanwhile", grew, 32<<20)
			setLimit(t, &dialTimeout, 300*time.Millisecond)
			start = time.Now()
			n.addPeers(fakePeer(t, func(c net.Conn) { io.Copy(io.Discard, c) })) // 핸드셰이크에 응답하지 않는 피어
			waitFor(t, "the silent dial to fail", func() bool { return dialedNow() == 0 })
			took = time.Since(start)
			check(t, fmt.Sprintf("a peer that never answers: failed after %v, within 0.3-3 s (dialTimeout 300 ms), sockets", took),
				show(300*time.Millisecond <= took && took <= 3*time.Second, len(socketsNow())), show(true, 0))
		}},
		// /addPeers는 주소 64개까지, 나가는 연결은 64개까지이고, 65번째로 들어온 연결은 자리가 날 때까지 응답을 받지 못한다.
		{"들어온 P2P 연결, 나가는 연결, addPeers의 주소", func(t *testing.T) {
			var accepted atomic.Int32
			release, urls := make(chan struct{}), []string(nil)
			for range maxPeers + 16 { // 연결을 받고 핸드셰이크에 응답하지 않는 피어들
				urls = append(urls, fakePeer(t, func(net.Conn) { accepted.Add(1); <-release }))
			}
			check(t, fmt.Sprintf("POST /addPeers with %d peers", maxPeers+1), request(client, "POST", n.http+"/addPeers", string(stringify(map[string][]string{"peers": urls[:maxPeers+1]})), nil).status, 400)
			n.addPeers(urls[:maxPeers]...)
			n.addPeers(urls[maxPeers:]...)
			check(t, fmt.Sprintf("dials after asking for %d peers", len(urls)), dialedNow(), maxPeers)
			waitFor(t, "maxPeers connections", func() bool { return accepted.Load() >= maxPeers })
			close(release)
			waitFor(t, "the dials to fail", func() bool { return dialedNow() == 0 })
			check(t, "connections the node opened", accepted.Load(), maxPeers)
			in := make([]net.Conn, maxPeers)
			for i := range in {
				in[i], _ = rawDial(t, n.p2p)
				writeRawFrame(t, in[i], queryLatest)
			}
			waitFor(t, "maxPeers sockets", func() bool { return len(socketsNow()) == maxPeers })
			waitsForRoom(t, "P2P", n.p2p, upgrade+"\r\n", in[0], "101")
		}},
		// 노드는 자기 Node-Id로 온 연결을 어느 주소로 왔든 거부해 소켓이 생기지 않고, 다른 Node-Id는 받는다.
		{"자기 자신에게 연결", func(t *testing.T) {
			n.addPeers("ws://127.0.0.1:"+port(n.p2p), "ws://127.0.0.2:"+port(n.p2p), "ws://localhost:"+port(n.p2p))
			waitFor(t, "the three dials to end", func() bool { return dialedNow() == 0 })
			check(t, "sockets after connecting to itself three ways", len(socketsNow()), 0)
			for id, want := range map[string]string{nodeID: "403", "another node": "101"} {
				check(t, fmt.Sprintf("handshake with Node-Id %q", id), dialStatus(t, n.p2p, upgrade+"Node-Id: "+id+"\r\n\r\n"), want)
			}
		}},
		// QUERY_ALL을 보낸 피어에게는 그 피어가 우리 끝보다 index가 크고 거기에 이어지지 않는 블록을 알릴 때까지 다시 보내지 않는다.
		{"QUERY_ALL을 보낸 피어", func(t *testing.T) {
			chain, quiet := makeChain(5, "ask"), newTestSocket(t, "quiet")
			broken := Block{Header: chain[5].Header, Data: vals("not the data of its merkle root")}
			setChain(slices.Clone(chain[:3]))
			locked(func() { sockets = append(sockets, ws, quiet) })
			for _, step := range []struct {
				name   string
				answer []byte // quiet가 먼저 보내는 것
				want   int    // 그 뒤 추가할 수 없는 블록 셋에 quiet가 받는 QUERY_ALL 수
			}{
				{"first", nil, 1},
				{"after it answers with a chain not longer", chainFrame(chain[:2]), 0},
				{"after an answer refused as a bad message", []byte(response("[]")), 0},
				{"after a refused block above our tip, not on ours (its merkle root is wrong)", chainFrame([]Block{broken}), 0},
				{"after it tells of a block we hold (our own, sent back)", chainFrame(chain[2:3]), 0},
				{"after it tells of the next block, which we append", chainFrame(chain[3:4]), 0},
				{"after it tells of a longer chain's block that is not on ours", chainFrame(chain[5:6]), 1},
			} {
				if step.answer != nil {
					receive(quiet, step.answer)
				}
				for range 3 {
					receive(ws, chainFrame(chain[5:])) // 우리 체인에 이어지지 않는 블록 하나
				}
				check(t, "QUERY_ALL sent to a quiet peer "+step.name, strings.Count(strings.Join(drain(quiet), ""), queryAll), step.want)
			}
			// "Not sending"으로 넣지 못한 QUERY_ALL은 보낸 것으로 치지 않는다: 다음 QUERY_ALL은 넣는다.
			unsent := newTestSocket(t, "unsent")
			locked(func() {
				room := maxQueuedBytes
				maxQueuedBytes = 0 // 대기열에 자리가 없고 닫을 소켓도 없다: "Not sending to unsent"
				write(unsent, queryAllMsg())
				maxQueuedBytes = room
				write(unsent, queryAllMsg())
			})
			check(t, "QUERY_ALL queued after one that could not be queued (Not sending)", strings.Count(strings.Join(drain(unsent), ""), queryAll), 1)
		}},
		// 읽지 않는 소켓에 같은 응답 열 개는 프레임 하나를 나눠 가져 한 번만 세고, 프레임 1024개가 밀린 소켓은 하나 더 보내면 닫힌다.
		{"한 소켓의 대기열", func(t *testing.T) {
			for range 10 {
				receive(ws, []byte(queryAll))
			}
			answer := string(chainFrame(chainNow()))
			check(t, "bytes counted for ten unread answers to QUERY_ALL", queuedNow(), len(answer))
			check(t, "frames queued after ten QUERY_ALL unread", show(drain(ws)), show(slices.Repeat([]string{answer}, 10)))
			slow := newTestSocket(t, "slow")
			mu.Lock()
			sockets = append(sockets, slow)
			for i := range maxQueued {
				mineBlock(vals(fmt.Sprint(i))) // 블록마다 새 알림 프레임
			}
			full, open := len(slow.queue), !slow.isClosed()
			mineBlock(vals("one more"))
			closed := slow.isClosed()
			mu.Unlock()
			check(t, "a socket that reads nothing: frames queued, open, then closed", fmt.Sprint(full, open, closed), fmt.Sprint(maxQueued, true, true))
		}},
		// 모든 대기열의 서로 다른 프레임이 한계를 넘게 되면 가장 많이 밀린 소켓부터 닫고, 정직한 피어는 체인을 받는다.
		{"모든 대기열의 서로 다른 프레임", func(t *testing.T) {
			setChain(makeChain(2000, "q"))
			setLimit(t, &maxQueuedBytes, len(chainFrame(chainNow()))*5/2) // 체인 전체의 응답 두 개 반
			s := []*socket{newTestSocket(t, "s1"), newTestSocket(t, "s2"), newTestSocket(t, "s3")}
			locked(func() { sockets = append(sockets, s...) })
			for i, ws := range []*socket{s[0], s[0], s[1], s[2]} { // 저마다 체인의 다른 버전을 요청하고 읽지 않는다: s1은 두 버전
				receive(ws, []byte(queryAll))
				n.mine(fmt.Sprint("version ", i))
			}
			closed := func() string { return fmt.Sprint(s[0].isClosed(), s[1].isClosed(), s[2].isClosed()) }
			check(t, "closed s1, s2, s3 after four answers (s1 has two waiting)", closed(), "true false false")
			waitSameChain(t, n, startNode(t, "honest", n.p2p))
			check(t, "closed s1, s2, s3 after the honest node's answer (s3's single answer is the larger)", closed(), "true false true")
			// 보내는 중인 프레임은 소켓을 닫아도 그 쓰기가 끝나야 해제된다: 대기열들을 비워도 자리가 나지 않으면 아무도 닫지 않고,
			// 새 응답만 보내지 않는다 (따라잡는 중인 정직한 피어를 끊지 않는다).
			setChain(makeChain(15000, strings.Repeat("f", 400))) // 응답이 10 MiB 쯤: 읽지 않는 피어의 커널 버퍼에 다 들지 않는다
			size := len(chainFrame(chainNow()))
			setLimit(t, &maxQueuedBytes, size*3/2)
			reader, _ := rawDial(t, n.p2p, 4096)
			writeRawFrame(t, reader, queryAll) // 응답을 읽지 않는다: writePump가 그 프레임을 쓰다 막힌다
			var sending *socket
			waitFor(t, "the answer to be in flight", func() bool {
				sending = socketOf(reader)
				return sending != nil && len(sending.queue) == 0 && queuedNow() >= size
			})
			// 우리가 연결한 피어가 보내는 중인 버전을 요청하면 프레임은 나눠 갖고 x/net이 만들 마스킹한(masked) 사본만 더 센다.
			setLimit(t, &maxQueuedBytes, size*5/2)
			out := newTestSocket(t, "out")
			locked(func() { out.url = "ws://127.0.0.1:1" }) // masks()는 1
			before := queuedNow()
			receive(out, []byte(queryAll))
			added := queuedNow() - before
			check(t, "a dialed peer asking for the version in flight: bytes counted more, frames", fmt.Sprint(added, len(drain(out))), fmt.Sprint(size, 1))
			setLimit(t, &maxQueuedBytes, size*3/2)
			locked(func() { write(sending, queryChainLengthMsg()) })                    // 보내는 중인 응답 뒤에 작은 프레임 하나가 기다린다
			setChain(append(chainNow(), nextBlock(chainNow()[15000], "a new version"))) // 알리지 않고 체인의 새 버전을 만든다
			asker := newTestSocket(t, "asker")
			receive(asker, []byte(queryAll))
			check(t, "a peer with a frame in flight and a small one queued: closed, and frames for a peer asking the new version",
				fmt.Sprint(sending.isClosed(), len(drain(asker))), "false 0")
		}},
		// 보낸 프레임을 writeTimeout 안에 받아 가지 않는 피어는 닫힌다 (시간 제한을 0.5초로 줄인 노드).
		{"프레임 하나 보내기", func(t *testing.T) {
			setLimit(t, &writeTimeout, 500*time.Millisecond)
			setChain(makeChain(15000, strings.Repeat("w", 400))) // 응답이 10 MiB 쯤: 커널의 버퍼에 다 들지 않는다
			slow, _ := rawDial(t, n.p2p, 4096)
			start := time.Now()
			writeRawFrame(t, slow, queryAll) // 응답을 읽지 않는다
			waitFor(t, "the slow peer to be closed", func() bool { return len(socketsNow()) == 0 })
			atMost(t, "a peer that reads nothing: closed after (writeTimeout is 0.5 s)", time.Since(start), 5*time.Second)
			// 핑만 보내고 읽지 않는 피어: 읽는 고루틴이 퐁을 쓰다 막혀도 writeTimeout에 닫힌다 (큰 메시지의 자리를 쥔 채 남지 않는다).
			pinger, _ := rawDial(t, n.p2p, 4096)
			writeRawFrame(t, pinger, queryLatest)
			ping, start := append([]byte{0x89, 0x80 | 125, 0, 0, 0, 0}, strings.Repeat("p", 125)...), time.Now()
			for err := error(nil); err == nil; _, err = pinger.Write(ping) { // 노드가 읽기를 멈추거나 연결을 닫을 때까지 쓴다
				pinger.SetWriteDeadline(time.Now().Add(time.Second))
			}
			waitFor(t, "the pinging peer to be closed", func() bool { return len(socketsNow()) == 0 })
			atMost(t, "a peer that pings and reads nothing: closed after", time.Since(start), 5*time.Second)
		}},
		// 연결은 64개까지(더 오면 기다린다), 8 KiB를 넘는 머리는 431, 끝나지 않는 머리와 쉰 연결은 닫히고, 2 MiB의 머리 100개도 힙을 못 키운다.
		{"HTTP 연결, 요청 헤더, 유휴 연결", func(t *testing.T) {
			const get = "GET /version HTTP/1.1\r\nHost: localhost\r\n"
			var idle []net.Conn
			for range maxHTTPConns {
				idle = append(idle, tcpDial(t, n.http, 0, ""))
			}
			waitsForRoom(t, "HTTP", n.http, get+"\r\n", idle[0], "200")
			for _, c := range idle {
				c.Close()
			}
			for size, want := range map[int]string{3 << 10: "200", 2*maxHeaderBytes + 1<<10: "431"} {
				check(t, fmt.Sprintf("status for a %d-byte header", size), dialStatus(t, n.http, get+"X-Junk: "+strings.Repeat("j", size)+"\r\n\r\n"), want)
			}
			unfinished, rested := tcpDial(t, n.http, 0, get), tcpDial(t, n.http, 0, get+"\r\n")
			for what, c := range map[string]net.Conn{"an unfinished header": unfinished, "a connection resting after its answer": rested} {
				check(t, what+": closed within 8 s (the limit is 5 s)", closedWithin(c, 8*time.Second), true)
			}
			var peers reply
			grew, _ := heap(func() {
				var wg sync.WaitGroup
				for range 100 {
					c := tcpDial(t, n.http, 0, "")
					c.SetWriteDeadline(time.Now().Add(10 * time.Second))
					wg.Go(func() { flood(c, get+"X-Junk: ", 2<<20) })
				}
				peers = request(client, "GET", n.http+"/peers", "", nil)
				wg.Wait()
			})
			check(t, "GET /peers while 100 connections send 2 MiB headers", peers.status, 200)
			atMost(t, "heap growth meanwhile", grew, 16<<20)
		}},
		// 본문이 102,400바이트면 블록을 만들고, 한 바이트 더 크면 413이고 체인은 그대로이다.
		{"HTTP 본문", func(t *testing.T) {
			body := func(size int) string { return `{"data":["` + strings.Repeat("x", size-len(`{"data":[""]}`)) + `"]}` }
			for _, tt := range []struct{ size, status, blocks int }{{maxBodyBytes + 1, 413, 1}, {maxBodyBytes, 200, 2}} {
				got := request(client, "POST", n.http+"/mineBlock", body(tt.size), nil)
				check(t, fmt.Sprintf("a %d-byte body: status, blocks", tt.size), fmt.Sprint(got.status, len(chainNow())), fmt.Sprint(tt.status, tt.blocks))
			}
		}},
		// 100 KB의 /mineBlock은 mu를 잠깐만 잠그고, 그런 요청 100개가 한꺼번에 와도 넷씩만 본문을 쥐어 GET /peers는 곧 응답한다.
		{"본문을 읽고 일하는 요청", func(t *testing.T) {
			body := `{"data":[` + strings.Repeat("9007199254740991,", (maxBodyBytes-len(`{"data":[]}`))/17) + `1]}` // 수 6,000개
			var got reply
			start := time.Now()
			held := muHeld(func() { got = request(client, "POST", n.http+"/mineBlock", body, nil) })
			check(t, "POST /mineBlock with 100 KB of numbers", got.status, 200)
			atMost(t, fmt.Sprintf("mu held during it (of %v)", time.Since(start)), held, scaled(20*time.Millisecond))
			// 본문을 보내자마자 끊은 클라이언트의 블록도 미리 구한 머클 루트로 생성한다: 요청이 mu를 기다리는 동안 노드가
			// 끊긴 것을 알아채도 미리 계산한 것(bodies)은 지우지 않는다.
			zeros, kept := `{"data":[`+strings.Repeat("0,", (maxBodyBytes-12)/2)+`0]}`, func() (n int) { // 0 51,195개: mu 안에서 구하면 100 ms 남짓
				bodies.Range(func(_, _ any) bool { n++; return true })
				return n
			}
			mu.Lock() // 요청이 본문을 읽고 머클 루트를 구한 뒤 mu를 기다리게 한다
			unlock := sync.OnceFunc(mu.Unlock)
			t.Cleanup(unlock)
			tcpDial(t, n.http, 0, fmt.Sprintf("POST /mineBlock HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(zeros), zeros)).Close()
			for seen, start := false, time.Now(); !(seen && kept() == 0) && time.Since(start) < time.Second; seen = seen || kept() == 1 {
				time.Sleep(100 * time.Microsecond) // 노드가 미리 계산한 것을 지우는지(끊긴 것을 알아채고) 1초까지 본다
			}
			unlock()
			held = muHeld(func() {
				waitFor(t, "the block of a client that left at once", func() bool { return len(chainNow()) == 3 })
			})
			atMost(t, "mu held while mining for a client that left before the answer", held, scaled(20*time.Millisecond))
			own := &http.Client{Transport: &http.Transport{}} // GET /peers는 미리 연 자기 연결로 (응답을 다 읽어야 연결을 다시 쓴다)
			peers := func() { request(own, "GET", n.http+"/peers", "", nil) }
			peers()
			var slowest time.Duration
			var answered [600]atomic.Int32
			storm := map[bool]int{false: 100, true: 20}[raceOn] // 빈 문자열 34,000개씩: 값 2^20개 가운데 앞의 블록들(57,196개) 뒤로 29개만 붙는다 (-race에서는 열 배쯤 느려 20개)
			fit, empties := min(storm, 29), `{"data":`+values(`""`, 34000)+`}`
			grew, _ := heap(func() {
				var wg sync.WaitGroup
				for range storm {
					wg.Go(func() { answered[request(client, "POST", n.http+"/mineBlock", empties, nil).status].Add(1) })
				}
				for range 5 { // 넷씩만 본문을 쥐고 일하므로 GET /peers는 곧 응답한다
					start := time.Now()
					peers()
					slowest = max(slowest, time.Since(start))
				}
				wg.Wait()
			})
			check(t, fmt.Sprintf("%d at once: 200s, 400s, blocks", storm), fmt.Sprint(answered[200].Load(), answered[400].Load(), len(chainNow())), fmt.Sprint(fit, storm-fit, 3+fit))
			check(t, "merkle roots computed ahead and still kept (bodies)", kept(), 0)
			atMost(t, "heap growth meanwhile", grew, 128<<20)
			atMost(t, "slowest GET /peers meanwhile", slowest, scaled(500*time.Millisecond))
		}},
		// 응답을 읽지 않는 GET /blocks 30개가 저마다 체인의 다른 버전을 요청해도 응답을 쓰는 것은 둘뿐이라 힙은 두어 버전만큼만 자란다.
		{"GET blocks의 응답을 쓰는 요청", func(t *testing.T) {
			chain := []Block{genesisBlock}
			for range 8 {
				chain = append(chain, nextBlock(chain[len(chain)-1], strings.Repeat("x", 1<<20-8)))
			}
			setChain(chain)
			body := len(stringify(chain))
			_, grew := heap(func() {
				for i := range 30 {
					tcpDial(t, n.http, 4096, "GET /blocks HTTP/1.1\r\nHost: localhost\r\n\r\n")
					waitFor(t, "the request to be taken", func() bool { return len(slots["GET /blocks"]) == min(i+1, cap(slots["GET /blocks"])) })
					n.mine(fmt.Sprint("version ", i))
				}
			})
			atMost(t, "heap kept by 30 unread GET /blocks, each of a new version (5 bodies)", grew, int64(5*body))
		}},
		// 다른 사이트가 보낸 POST와 이벤트 스트림은 403, IP 주소나 localhost가 아닌 호스트는 421이고 체인은 그대로이다.
		{"다른 사이트의 웹 페이지, IP 주소나 localhost가 아닌 호스트", func(t *testing.T) {
			for _, tt := range []struct{ method, path, header, value, want string }{
				{"POST", "/mineBlock", "Sec-Fetch-Site", "cross-site", "403"},
				{"POST", "/mineBlock", "Origin", "http://evil.example", "403"},
				{"POST", "/addPeers", "Sec-Fetch-Site", "cross-site", "403"},
				{"GET", "/events", "Sec-Fetch-Site", "cross-site", "403"},
				{"GET", "/events", "Origin", "http://evil.example", "403"},
				{"POST", "/mineBlock", "Sec-Fetch-Site", "same-origin", "200"},
			} {
				body := map[string]string{"POST": `{"data":["from a web page"]}`}[tt.method]
				got := request(client, tt.method, n.http+tt.path, body, map[string]string{tt.header: tt.value})
				check(t, fmt.Sprintf("%s %s with %s: %s", tt.method, tt.path, tt.header, tt.value), fmt.Sprint(got.status), tt.want)
			}
			evil := dialStatus(t, n.http, "POST /mineBlock HTTP/1.1\r\nHost: evil.example\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"data\":[]}")
			check(t, "POST /mineBlock to Host evil.example: status, blocks (only the same-origin POST added one)", show(evil, len(chainNow())), show("421", 2))
			check(t, "OPTIONS * to Host evil.example (not Go's automatic OPTIONS answer)", dialStatus(t, n.http, "OPTIONS * HTTP/1.1\r\nHost: evil.example\r\n\r\n"), "421")
			check(t, "HTTP/1.0 with no Host (no browser sends it)", dialStatus(t, n.http, "GET /version HTTP/1.0\r\n\r\n"), "200")
			// 웹 페이지는 P2P 피어가 될 수 없다: 브라우저가 보내는 Origin은 거부하고, x/net의 http://localhost/ 와 Origin이 없는 것(npm ws)은 받는다.
			for origin, want := range map[string]string{"http://evil.example": "403", "http://localhost/": "101", "": "101"} {
				header := map[bool]string{true: "Origin: " + origin + "\r\n"}[origin != ""]
				check(t, fmt.Sprintf("P2P handshake with Origin %q", origin), dialStatus(t, n.p2p, upgrade+header+"\r\n"), want)
			}
		}},
		// 스트림은 4개까지이고(5번째는 자리가 날 때까지 기다린다), 이벤트 64개보다 더 뒤처진 스트림은 닫혀 자리를 내준다.
		{"노드의 페이지가 여는 이벤트 스트림", func(t *testing.T) {
			open := func() *http.Response { // GET /events 스트림을 연다 (client는 30초 뒤에 읽기를 멈춘다)
				resp, err := client.Get(n.http + "/events")
				must(t, err)
				check(t, "GET /events: status", resp.StatusCode, 200)
				return resp
			}
			var counts [maxStreams - 1]atomic.Int32
			for i := range counts {
				resp := open()
				go func() {
					sc := bufio.NewScanner(resp.Body)
					for sc.Buffer(nil, 1<<20); sc.Scan(); {
						if strings.HasPrefix(sc.Text(), "data: ") {
							counts[i].Add(1)
						}
					}
				}()
			}
			stalled := open() // 머리만 읽고 더 읽지 않는다
			fifth := tcpDial(t, n.http, 0, "GET /events HTTP/1.1\r\nHost: localhost\r\n\r\n")
			check(t, fmt.Sprintf("answer to stream %d while %d are open", maxStreams+1, maxStreams), statusCode(fifth, 300*time.Millisecond), "")
			text, sent := strings.Repeat("e", 64<<10), int32(0)
			for batch := 0; streamsNow() == maxStreams && batch < 200; batch++ {
				mu.Lock()
				for range 32 {
					trace("→", "test", text)
				}
				mu.Unlock()
				sent += 32
				waitFor(t, "events read", func() bool { return counts[0].Load() == sent && counts[1].Load() == sent && counts[2].Load() == sent })
			}
			check(t, fmt.Sprintf("streams after %d events of 64 KiB (the unread one closed)", sent), streamsNow(), maxStreams-1)
			_, err := io.Copy(io.Discard, stalled.Body)
			check(t, "reading the unread stream to its end: the error", err, nil)
			check(t, fmt.Sprintf("stream %d after the unread one was closed", maxStreams+1), statusCode(fifth, 5*time.Second), "200")
			// requestTimeout이 1초인 노드에서는 읽지 않는 스트림도, 슬롯을 기다리는 요청도 곧 끝난다: HTTP 연결을 쥐고 있지 못한다.
			q := startChild(t, "quick", []string{timeoutEnv + "=1s"}, "-http_port=0", "-p2p_port=0")
			var unread []net.Conn // 넷은 스트림이 되고, 둘은 슬롯을 기다린다
			for range maxStreams + 2 {
				unread = append(unread, tcpDial(t, q.http, 0, "GET /events HTTP/1.1\r\nHost: localhost\r\n\r\n"))
			}
			for _, c := range unread { // 1초 뒤 응답이 끝나고, 늦어도 유휴 연결의 5초 뒤에 닫힌다
				check(t, "an unread GET /events on a node whose requests last 1 s: closed within 8 s", closedWithin(c, 8*time.Second), true)
			}
		}},
	} {
		rows = append(rows, row.name)
		t.Run(row.name, func(t *testing.T) {
			n, ws = startLocalNode(t), newTestSocket(t, "peer")
			row.run(t)
		})
	}
	sameText(t, "TestLimits' rows against README's 「지키는 한계」 table", strings.Join(rows, "\n"), strings.Join(readmeRows, "\n"))
}

// ---------- 챕터의 자바스크립트 노드와 한 네트워크 (testdata/jsnode) ----------

// interopKinds는 data의 종류마다 POST /mineBlock의 본문과, 두 노드가 모두 적어야 할 data(node의 JSON.stringify가 내는 꼴)이다.
var interopKinds = []struct{ name, body, data string }{
	{"한글", `{"data":["한글 데이터: 안녕하세요"]}`, `["한글 데이터: 안녕하세요"]`},
	{"<&> U+2028", `{"data":["<&>","\u2028\u2029","😀"]}`, "[\"<&>\",\"\u2028\u2029\",\"😀\"]"}, // <, >, & 와 U+2028, U+2029는 JSON.stringify가 그대로 쓴다.
	// 제어 문자는 짧은 이스케이프나 \u00XX로, DEL은 그대로, 글자 그대로의 \u2028은 \\u2028로 쓴다.
	{"escapes", `{"data":["t\t n\n r\r q\" s\\ a\u0007 b\b f\f u\u001f d\u007f \\u2028"]}`, `["t\t n\n r\r q\" s\\ a\u0007 b\b f\f u\u001f d` + "\x7f" + ` \\u2028"]`},
	{"hex leaf", `{"data":["` + genesisHash + `"]}`, `["` + genesisHash + `"]`}, // 64자리 대문자 16진수인 리프 노드는 해시하지 않고, 소문자인 것은 해시한다.
	{"hex leaves", `{"data":["` + strings.ToLower(genesisHash) + `","` + genesisHash + `","x"]}`, `["` + strings.ToLower(genesisHash) + `","` + genesisHash + `","x"]`},
	// 수는 자바스크립트가 읽고 다시 쓴 꼴이다 (1.0 → 1, 1e21 → 1e+21, -0 → 0).
	{"numbers", `{"data":[1.0, 1e21, -0, 1e-7, 0.1, 123456789012345678901234567890]}`, `[1,1e+21,0,1e-7,0.1,1.2345678901234568e+29]`},
	{"null true false", `{"data":[null,true,false]}`, `[null,true,false]`},
	{"U+FFFD", "{\"data\":[\"\uFFFD 깨진 글자\",\"\\ufffd\",\"\\ud569\\ub2c8\\ub2e4\"]}", "[\"\uFFFD 깨진 글자\",\"\uFFFD\",\"합니다\"]"}, // 챕터의 노드는 UTF-8이 아닌 본문의 글자를 U+FFFD로 읽는다. 파이썬의 json.dumps는 한글을 이스케이프한다
	// 같은 키는 뒤의 값이 앞의 자리에 남고, 배열 인덱스인 키(2^32-2까지)가 작은 차례로 먼저 온다.
	{"objects", `{"data":[{"b":1,"2":2,"1":3,"b":5,"01":0,"4294967295":7,"4294967294":6,"a":{"x":null}},{}]}`,
		`[{"1":3,"2":2,"4294967294":6,"b":5,"01":0,"4294967295":7,"a":{"x":null}},{}]`},
	// 배열의 String()은 원소들을 쉼표로 잇는다 (null은 빈 글, 겹친 배열은 펼친다).
	{"nested arrays", `{"data":[[1,[2,null]],[],[[]],["a",["b"]]]}`, `[[1,[2,null]],[],[[]],["a",["b"]]]`},
	{"empty data", `{"data":[]}`, `[]`},
	{"no data", `{}`, `[]`}, // req.body.data || []
	{"null data", `{"data":null}`, `[]`},
	{"falsy data", `{"data":0}`, `[]`}, // 0, "", false도 || []
}

// TestInteropWithJSNode는 연결의 모양마다 다른 포크의 노드가 따라잡고, 양쪽에서 생성한 모든 종류의 data가 블록, GET /blocks, QUERY_ALL의 응답까지 바이트로 같은지 본다.
func TestInteropWithJSNode(t *testing.T) {
	const jsNodeDir = "testdata/jsnode" // 챕터의 npm 버전으로 돌고, 챕터의 규칙대로 우리가 쓴 자바스크립트 노드
	install := "install Node.js, then: cd " + jsNodeDir + " && npm ci"
	node, err := exec.LookPath("node")
	need(t, "INTEROP", err, install)
	for _, pkg := range []string{"ws", "crypto-js", "merkle", "express", "body-parser"} {
		_, err := os.Stat(jsNodeDir + "/node_modules/" + pkg + "/package.json")
		need(t, "INTEROP", err, install)
	}
	// 노드마다 J(자바스크립트)나 G(Go). 노드마다 바로 앞 노드에 연결하고, data의 종류마다 첫 노드와 끝 노드가 차례로 생성한다.
	for _, top := range []struct{ name, kinds string }{
		{"Go dials JS", "JG"},        // Go가 앞선 JS에 연결해 따라잡는다
		{"JS dials Go", "GJ"},        // JS가 앞선 Go에 연결해 따라잡는다
		{"line J1-G1-J2-G2", "JGJG"}, // 끝의 블록이 JS와 Go를 모두 거친다
	} {
		t.Run(top.name, func(t *testing.T) {
			t.Parallel()
			var nodes []*testNode
			for i, kind := range top.kinds {
				name := fmt.Sprintf("%c%d", kind, strings.Count(top.kinds[:i+1], string(kind)))
				if kind == 'G' {
					nodes = append(nodes, startNode(t, name))
					continue
				}
				cmd := exec.Command(node, "main.js") // 챕터처럼 환경 변수로 포트를 받는다
				cmd.Dir, cmd.Env = jsNodeDir, append(os.Environ(), "HTTP_PORT=0", "P2P_PORT=0", "HOST=127.0.0.1")
				nodes = append(nodes, startProcess(t, name, cmd))
			}
			began := time.Now().Unix()
			// 포크: 첫 노드는 블록 둘, 나머지는 하나. 연결하는 쪽이 앞선 포크를 따라잡는다 (QUERY_ALL, replaceChain).
			var mined []string // POST /mineBlock의 응답들: 앞의 둘(첫 노드의 포크)만 살아남는다
			for i, n := range nodes {
				for k := range max(2-i, 1) { // 첫 노드는 둘, 나머지는 하나
					_, raw := n.mineBody(fmt.Sprintf(`{"data":["%s fork %d"]}`, n.name, k+1))
					mined = append(mined, raw)
				}
			}
			mined = mined[:2]
			want := nodes[0].blocks()
			for i, dialer := range nodes[1:] {
				dialer.addPeers(nodes[i].p2p)
				sameChain(t, dialer.name+" after dialing "+nodes[i].name, waitSameChain(t, dialer, nodes[i]), want)
				dialer.waitLog(replaced)
			}
			// data의 종류마다 첫 노드와 끝 노드가 차례로 생성한다: 블록의 바이트가 따로 계산한 값과 같고, 모든 노드에 퍼진다.
			tip := want[len(want)-1]
			for _, k := range interopKinds {
				for _, n := range []*testNode{nodes[0], nodes[len(nodes)-1]} {
					b, raw := n.mineBody(k.body)
					wantRaw := fmt.Sprintf(`{"header":{"version":"2.1.0","index":%d,"previousHash":"%s","timestamp":%d,"merkleRoot":"%s"},"data":%s}`,
						tip.Header.Index+1, calculateHashForBlock(tip), b.Header.Timestamp, dataRoot(k.data), k.data)
					sameText(t, fmt.Sprintf("%s mining %s %s", n.name, k.name, k.body), raw, wantRaw)
					ts, now := b.Header.Timestamp, time.Now().Unix()+1
					check(t, fmt.Sprintf("%s mined %s: timestamp %d in [%d, %d]", n.name, k.name, ts, began-1, now), began-1 <= ts && ts <= now, true)
					chain := waitSameChain(t, nodes...) // 어느 노드가 블록을 거부하면 여기서 시간이 다 되고, 노드들의 로그가 실패에 붙는다
					check(t, fmt.Sprintf("every node's last block after %s mined %s", n.name, k.name), calculateHashForBlock(chain[len(chain)-1]), calculateHashForBlock(b))
					mined, tip = append(mined, raw), b
				}
			}
			// 끝: 모두 같은 체인이고, GET /blocks는 생성한 블록들을 이은 바이트, QUERY_ALL의 응답은 그것을 data 문자열에 담은 프레임이다.
			check(t, "chain length", len(waitSameChain(t, nodes...)), 3+len(interopKinds)*2)
			rejecting := regexp.MustCompile(`(?i)ignored|invalid|cannot compute|not adding|not sending|send failed`) // 어느 쪽 노드든 거부한 줄
			wantBody := "[" + string(stringify(genesisBlock)) + "," + strings.Join(mined, ",") + "]"
			for _, n := range nodes {
				sameText(t, n.name+" GET /blocks", n.call("GET", "/blocks", ""), wantBody)
				check(t, n.name+`: "Connection failed" lines`, n.countLog("Connection failed"), 0)
				conn, r := rawDial(t, n.p2p) // npm ws처럼 연결해, 노드가 먼저 보내는 QUERY_LATEST를 확인하고 QUERY_ALL을 보낸다
				opcode, payload, err := readRawFrame(r)
				check(t, n.name+": first frame (opcode, text, error)", fmt.Sprint(opcode, " ", string(payload), " ", err), "1 "+queryLatest+" <nil>")
				writeRawFrame(t, conn, queryAll)
				sameText(t, n.name+"'s RESPONSE_BLOCKCHAIN to QUERY_ALL", readUntil(t, conn, r, answerPrefix), response(wantBody))
				rejects := slices.DeleteFunc(n.logLines(), func(line string) bool { return !rejecting.MatchString(line) })
				check(t, n.name+": lines that reject something", strings.Join(rejects, "\n"), "")
			}
		})
	}
}

// ---------- 노드의 페이지를 브라우저에서 (헤드리스 Chromium, DevTools 프로토콜) ----------

// browserPage는 헤드리스 Chromium의 탭 하나이다. 명령은 테스트의 고루틴에서만 보낸다.
type browserPage struct {
	ws     *websocket.Conn
	lastID int
	errs   []string // 페이지의 잡히지 않은 예외와 console.error: call이 응답을 기다리며 모은다
}

// call은 DevTools 명령 하나를 보내고 그 result를 10초까지 기다리며, 그 사이에 온 이벤트에서 페이지의 에러를 모은다.
func (p *browserPage) call(method string, params map[string]any) (json.RawMessage, error) {
	p.lastID++
	p.ws.SetDeadline(time.Now().Add(10 * time.Second))
	err := websocket.JSON.Send(p.ws, map[string]any{"id": p.lastID, "method": method, "params": params})
	for err == nil {
		var m struct { // DevTools의 응답(ID, Result, Error)이나 이벤트(Method, Params)
			ID     int
			Result json.RawMessage
			Error  *struct{ Message string }
			Method string
			Params struct{ Type string }
		}
		var data []byte
		err = websocket.Message.Receive(p.ws, &data)
		json.Unmarshal(data, &m) // 모양이 다른 이벤트는 맞는 필드만 채워진다
		switch {
		case m.ID == p.lastID && m.Error != nil:
			err = errors.New(m.Error.Message)
		case m.ID == p.lastID:
			return m.Result, nil
		case m.Method == "Runtime.exceptionThrown" || m.Method == "Runtime.consoleAPICalled" && (m.Params.Type == "error" || m.Params.Type == "assert"):
			p.errs = append(p.errs, fmt.Sprintf("%.500s", data))
		}
	}
	return nil, fmt.Errorf("%s: %w", method, err)
}

// waitUntil은 페이지에서 식 js가 true가 될 때까지 기다린다. 안 되면 js의 마지막 값(상태)이나 던진 예외로 멈춘다.
func (p *browserPage) waitUntil(t *testing.T, what, js string) {
	t.Helper()
	var last struct {
		Result           struct{ Value any }
		ExceptionDetails json.RawMessage
	}
	var err error
	waitFor(t, what, func() bool {
		res, callErr := p.call("Runtime.evaluate", map[string]any{"expression": js, "returnByValue": true, "awaitPromise": true})
		last.Result.Value, last.ExceptionDetails = nil, nil
		err = cmp.Or(callErr, json.Unmarshal(res, &last))
		return err == nil && last.ExceptionDetails == nil && last.Result.Value == true
	}, func() string {
		return fmt.Sprintf("got %s %.500s (%v)\npage errors: %q", stringify(last.Result.Value), last.ExceptionDetails, err, p.errs)
	})
}

// TestNodePageInBrowser는 B의 페이지를 브라우저로 열어 A의 블록이 카드와 메시지로 나타나고, 폼으로 채굴한 블록이 A에 닿는지 본다.
func TestNodePageInBrowser(t *testing.T) {
	chromium, err := exec.LookPath("chromium")
	need(t, "BROWSER", err, "apt-get install -y chromium")
	a := startNode(t, "A")
	b := startNode(t, "B", a.p2p)
	waitFor(t, "A and B to list each other", func() bool { return len(a.peers()) == 1 && len(b.peers()) == 1 })
	peerA := a.addr() // B가 연결한 A의 주소
	// 헤드리스 Chromium을 띄워 탭 하나를 B의 페이지로 보낸다. 정리는 거꾸로 돈다: 브라우저가 닫힌 뒤에 노드들이 멈추고 프로필을 지운다.
	dir, url := t.TempDir(), b.http+"/"
	const origin = "http://127.0.0.1" // x/net/websocket이 늘 보내는 Origin: DevTools가 받도록 허락한다
	cmd := exec.Command(chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--window-size=1280,900",
		"--remote-debugging-port=0", "--remote-allow-origins="+origin, "--user-data-dir="+dir, "about:blank")
	cmd.WaitDelay = 2 * time.Second
	logs := &testNode{t: t, name: "chromium"} // 브라우저의 출력: 실패 메시지에 붙인다
	cmd.Stdout, cmd.Stderr = logs, logs
	must(t, cmd.Start())
	t.Cleanup(func() { // DevTools의 Browser.close가 자식 프로세스까지 닫는다. 안 되면 5초 뒤에 죽인다
		defer time.AfterFunc(5*time.Second, func() { cmd.Process.Kill() }).Stop()
		cmd.Wait()
	})
	var wsURL string // DevToolsActivePort의 첫 줄이 DevTools의 포트이다. 그 포트의 /json/list에서 탭을 찾는다.
	waitFor(t, "chromium to open DevTools", func() bool {
		first, _ := os.ReadFile(dir + "/DevToolsActivePort")
		var targets []struct{ Type, WebSocketDebuggerURL string }
		if port, _, ok := strings.Cut(string(first), "\n"); ok {
			json.Unmarshal([]byte(request(client, "GET", "http://127.0.0.1:"+port+"/json/list", "", nil).body), &targets)
		}
		if i := slices.IndexFunc(targets, func(tg struct{ Type, WebSocketDebuggerURL string }) bool { return tg.Type == "page" }); i >= 0 {
			wsURL = targets[i].WebSocketDebuggerURL
		}
		return wsURL != ""
	}, logs.logText) // 브라우저가 먼저 끝났으면 그 출력이 실패 메시지에 붙는다
	ws, err := websocket.Dial(wsURL, "", origin)
	must(t, err)
	p := &browserPage{ws: ws}
	t.Cleanup(func() { p.call("Browser.close", nil); ws.Close() })
	_, err = p.call("Runtime.enable", nil)
	_, err2 := p.call("Page.navigate", map[string]any{"url": url})
	must(t, cmp.Or(err, err2))
	p.waitUntil(t, url+" to load", fmt.Sprintf(`(location.href === %s && document.readyState === "complete") || location.href`, stringify(url)))
	// browserCardsJS는 페이지에 그려진 블록 카드들을 "index hash previousHash"로 적어 쉼표로 잇는다 (끊긴 카드에는 " broken").
	const browserCardsJS = `[...document.querySelectorAll("#chain .card")].map((c) => c.dataset.index + " " + c.querySelector(".hash").textContent +
		" " + c.querySelector(".prev").textContent + (c.classList.contains("broken") ? " broken" : "")).join()`
	cards := func(chain []Block) string { // 끊기지 않은 카드들로 그린 chain: browserCardsJS가 내야 할 글
		var s []string
		for _, b := range chain {
			s = append(s, fmt.Sprint(b.Header.Index, " ", calculateHashForBlock(b).String(), " ", b.Header.PreviousHash.String()))
		}
		return string(stringify(strings.Join(s, ",")))
	}
	// 제네시스 카드, 피어 A, 열린 이벤트 스트림을 기다린다 (스트림이 열린 뒤에 채굴해야 메시지를 놓치지 않는다).
	p.waitUntil(t, "B's page to show the genesis card, peer A and an open stream", fmt.Sprintf(`(() => {
		const s = { cards: %s, peers: [...document.querySelectorAll("#peers li")].map((li) => li.textContent).join(),
			status: document.querySelector("#status").className };
		return (s.cards === %s && s.peers === %s && s.status === "ok") || s })()`,
		browserCardsJS, cards([]Block{genesisBlock}), stringify(peerA)))
	mined := a.mine("브라우저에서 보기") // A가 채굴한 블록이 B의 페이지에 두 번째 카드로 나타난다: 제네시스에 이어진, 끊기지 않은 카드이다.
	p.waitUntil(t, "B's page to show the genesis card and A's block", fmt.Sprintf(`%s === %s || %[1]s`, browserCardsJS, cards([]Block{genesisBlock, mined})))
	feedJS := `[...document.querySelectorAll("#feed li")].map((li) => [...li.children].slice(1).map((s) => s.textContent.trim()).join(" "))`
	p.waitUntil(t, "B's feed to show the block received from A", fmt.Sprintf(`%s.includes(%s) || %[1]s`,
		feedJS, stringify("← "+peerA+" RESPONSE_BLOCKCHAIN 1 block [1]")))
	// B의 페이지의 폼으로 채굴한다: 같은 출처의 POST는 다른 출처를 막는 검사를 지나고, 블록은 A에 닿는다.
	p.waitUntil(t, "the mine form to be submitted", `document.querySelector("#mine-form input").value = "페이지의 폼에서";
		document.querySelector("#mine-form button").click(); true`)
	p.waitUntil(t, "the mine form's result", `(() => { const r = document.querySelector("#mine-result"); return (r.className === "result" && r.textContent.startsWith("블록 #2 ")) || r.className + ": " + r.textContent })()`)
	waitFor(t, "A to receive the block mined on B's page", func() bool { return len(a.blocks()) == 3 })
	sameChain(t, "A's chain after the form", a.blocks(), b.blocks())
	check(t, "data of A's block 2", string(a.blocks()[2].Data), `["페이지의 폼에서"]`)
	p.waitUntil(t, "B's page to show 3 linked cards", fmt.Sprintf(`%s === %s || %[1]s`, browserCardsJS, cards(b.blocks())))
	check(t, "page errors", show(p.errs), show([]string(nil)))
	if path := os.Getenv("SCREENSHOT"); path != "" { // README에 쓸 B의 페이지
		var shot struct{ Data []byte } // base64는 encoding/json이 []byte로 디코딩한다
		res, err := p.call("Page.captureScreenshot", map[string]any{"format": "png"})
		if err == nil && json.Unmarshal(res, &shot) == nil {
			err = os.WriteFile(path, shot.Data, 0o644)
		}
		if err != nil || len(shot.Data) == 0 {
			t.Errorf("screenshot %s: got %v and %d bytes, want a PNG", path, err, len(shot.Data))
		}
	}
}

// ---------- 벤치마크: go test -bench . -benchmem -run '^$' ----------

func BenchmarkCalculateHash(b *testing.B) {
	for b.Loop() {
		calculateHashForBlock(genesisBlock)
	}
}

// BenchmarkReceiveChain은 새 노드가 블록 10,000개의 체인을 RESPONSE_BLOCKCHAIN 하나로 받아 파싱, 검증, 교체하는 시간이다.
func BenchmarkReceiveChain(b *testing.B) { benchReceive(b, 10000, func(receive func()) { receive() }) }

// BenchmarkChainMemory는 받은 체인(블록 16,000개, 블록마다 짧은 데이터 하나)을 들고 있는 노드의 힙 크기이다.
func BenchmarkChainMemory(b *testing.B) {
	var held int64
	benchReceive(b, 16000, func(receive func()) { _, held = heap(receive) })
	b.ReportMetric(float64(held)/16000, "B/block")
}

// benchReceive는 b.Loop마다 체인을 제네시스 하나로 되돌리고, 새 소켓으로 블록 blocks 개의 체인을 받는 일을 measure에게 건넨다.
func benchReceive(b *testing.B, blocks int, measure func(receive func())) {
	discardLog(b)
	b.Cleanup(resetChain)
	frame := chainFrame(makeChain(blocks, "bench"))
	b.SetBytes(int64(len(frame)))
	for b.Loop() {
		b.StopTimer()
		closeAllSockets(b) // 앞 소켓의 "close" 핸들러가 로그를 버리는 동안 돌게 한다
		resetChain()
		ws := newTestSocket(b, "bench")
		locked(func() { sockets = append(sockets, ws) })
		b.StartTimer()
		measure(func() { receive(ws, frame) })
		check(b, "blocks after receiving", len(chainNow()), blocks+1)
	}
	closeAllSockets(b)
}

// BenchmarkSyncFromPeer는 새 노드(이 프로세스)가 블록 10,000개를 가진 피어(자식 프로세스)에 연결해 따라잡는 시간이다.
func BenchmarkSyncFromPeer(b *testing.B) {
	const blocks = 10000
	n := startLocalNode(b)
	setChain(makeChain(blocks, "sync"))
	peer := startNode(b, "peer", n.p2p) // 피어가 이 노드에서 체인을 받아 간다
	peer.waitLog("Replacing current blockchain")
	closeAllSockets(b)
	resetChain()
	for b.Loop() {
		locked(func() { connectToPeers([]string{peer.p2p}) })
		waitFor(b, "the chain to sync", func() bool { return len(chainNow()) == blocks+1 })
		b.StopTimer()
		closeAllSockets(b)
		resetChain()
		b.StartTimer()
	}
}

// BenchmarkMineOverHTTP는 자식 노드에 클라이언트 1, 8개로 POST /mineBlock을 보내 피어(이 프로세스)까지 가는 처리량이다.
func BenchmarkMineOverHTTP(b *testing.B) {
	for _, clients := range []int{1, 8} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			peer, hc, took := startLocalNode(b), &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}, time.Duration(0)
			for done := 0; done < b.N; { // 체인은 블록 maxBlocks개까지이므로 그 반씩 새 노드 쌍에서 생성한다
				blocks := min(b.N-done, maxBlocks/2)
				b.StopTimer()
				closeAllSockets(b)
				resetChain()
				miner := startNode(b, "miner", peer.p2p)
				// 두 쪽이 모두 소켓을 목록에 넣은 뒤에 시작한다: 그 전에 생성한 블록의 알림은 피어에게 가지 않는다.
				waitFor(b, "the miner to connect", func() bool { return len(socketsNow()) == 1 && len(miner.peers()) == 1 })
				b.StartTimer()
				began := time.Now()
				check(b, "POST /mineBlock that failed", mineAtOnce(hc, miner.http, clients, blocks), 0)
				waitFor(b, "the peer to hold every block", func() bool { return len(chainNow()) == 1+blocks })
				took, done = took+time.Since(began), done+blocks
				hc.CloseIdleConnections()
			}
			b.ReportMetric(float64(b.N)/took.Seconds(), "blocks/s")
		})
	}
}

// ---------- 테스트 보조 함수 ----------

// 챕터의 전역 변수 때문에 한 프로세스에는 노드가 하나뿐이다: 테스트는 이 프로세스의 노드(startLocalNode)와 자식 프로세스들(startNode)을 쓴다.
const childEnv, timeoutEnv = "BLOCKNODE_TEST_CHILD", "BLOCKNODE_TEST_TIMEOUT"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		if d, err := time.ParseDuration(os.Getenv(timeoutEnv)); err == nil {
			writeTimeout, dialTimeout, requestTimeout = d, d, d // 시간 제한을 시험하는 자식 노드: 고루틴이 하나도 돌기 전에 바꾼다
		}
		main() // 자식 프로세스: 진짜 노드로 돈다
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// must는 err가 nil이 아니면 테스트를 멈추고(테스트의 고루틴에서만 부른다), hh는 기대값을 따로 계산할 때 쓰는 s의 SHA-256이다.
func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
func hh(s string) Hash { return sha256.Sum256([]byte(s)) }

// check는 다르면 "what: got …, want …"를 적고(멈추지 않는다), atMost는 limit를 넘으면, sameChain과 sameText는 처음 다른 곳을 보이며 적는다 (show는 %#v).
func check[T comparable](t testing.TB, what string, got, want T) {
	t.Helper()
	if g, ok := any(got).(string); ok && len(g) > 300 { // 긴 글은 처음 갈리는 곳을 보인다
		sameText(t, what, g, any(want).(string))
	} else if got != want {
		t.Errorf("%s: got %.300s, want %.300s", what, fmt.Sprint(got), fmt.Sprint(want)) // 긴 글은 300바이트까지
	}
}
func atMost[T cmp.Ordered](t testing.TB, what string, got, limit T) {
	t.Helper()
	if got > limit {
		t.Errorf("%s: got %v, want at most %v", what, got, limit)
	}
}
func sameChain(t testing.TB, what string, got, want []Block) {
	t.Helper()
	sameText(t, fmt.Sprintf("%s (got %d blocks, want %d)", what, len(got), len(want)), string(stringify(got)), string(stringify(want)))
}
func sameText(t testing.TB, what, got, want string) {
	t.Helper()
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	around := func(s string) string { return s[max(0, i-30):min(len(s), i+30)] }
	if got != want {
		t.Errorf("%s: first difference at byte %d (got %d bytes, want %d):\n  got  …%s…\n  want …%s…", what, i, len(got), len(want), around(got), around(want))
	}
}
func show(v ...any) string {
	return strings.TrimSuffix(fmt.Sprintf(strings.Repeat("%#v ", len(v)), v...), " ")
}

// waitFor는 cond가 참이 될 때까지 (10ms까지 점점 길게) 기다리고, 30초 안에 안 되면 got의 글을 덧붙여 테스트를 멈춘다.
func waitFor(t testing.TB, what string, cond func() bool, got ...func() string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for pause := 50 * time.Microsecond; !cond(); pause = min(2*pause, 10*time.Millisecond) {
		if time.Now().After(deadline) {
			for _, g := range got {
				what += "\n" + g()
			}
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(pause)
	}
}

// raceOn은 이 테스트 바이너리가 경쟁 탐지기(-race)로 빌드되었는지이고, scaled는 그때 시간 한계를 열 배로 늘린다.
var raceOn = func() bool {
	info, ok := debug.ReadBuildInfo()
	return ok && slices.Contains(info.Settings, debug.BuildSetting{Key: "-race", Value: "true"})
}()

func scaled(d time.Duration) time.Duration {
	return d * max(1, map[bool]time.Duration{true: 10}[raceOn])
}

// setLimit은 노드의 한계 변수를 mu를 잠그고 바꾸고, 테스트가 끝나면 소켓들을 닫고 보내던 프레임이 끝나기를 기다려 되돌린다.
func setLimit[T any](t *testing.T, v *T, value T) {
	var old T
	locked(func() { old, *v = *v, value })
	t.Cleanup(func() {
		closeAllSockets(t)
		waitFor(t, "frames in flight", func() bool { return queuedNow() == 0 })
		locked(func() { *v = old })
	})
}

// during은 f가 도는 동안 every마다 probe를 부르고, muHeld는 mu를 기다린 가장 긴 시간, heap은 힙이 자란 값과 GC 뒤 남은 값, allocated는 할당량이다.
func during(f func(), every time.Duration, probe func()) {
	var stop atomic.Bool
	done := make(chan struct{})
	go func() {
		defer close(done)
		for probe(); !stop.Load(); probe() {
			time.Sleep(every)
		}
	}()
	defer func() { stop.Store(true); <-done }()
	f()
}
func muHeld(f func()) (most time.Duration) {
	during(f, 100*time.Microsecond, func() { start := time.Now(); mu.Lock(); most = max(most, time.Since(start)); mu.Unlock() })
	return most
}
func heap(f func()) (grew uint64, kept int64) {
	now := func() uint64 {
		sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		metrics.Read(sample)
		return sample[0].Value.Uint64()
	}
	gc := func() uint64 { runtime.GC(); runtime.GC(); return now() } // 두 번째 GC에 sync.Pool이 쥔 것도 풀린다
	base := gc()
	most := base
	during(f, 200*time.Microsecond, func() { most = max(most, now()) })
	return most - base, int64(gc()) - int64(base)
}
func allocated() uint64 { var m runtime.MemStats; runtime.ReadMemStats(&m); return m.TotalAlloc }

// discardLog와 captureLog는 로그를 버리거나 모으고, resetChain과 setChain은 체인을 바꾸며, locked는 mu를 잠그고, freshChain은 체인과 소켓을 되돌린다.
func discardLog(t testing.TB) {
	log.SetOutput(io.Discard)
	t.Cleanup(func() { log.SetOutput(os.Stderr) })
}
func captureLog(t testing.TB) *testNode {
	n := &testNode{t: t, name: "local node"}
	discardLog(t)
	log.SetOutput(n)
	return n
}
func resetChain()            { setChain([]Block{genesisBlock}) }
func setChain(chain []Block) { mu.Lock(); blockchain = chain; mu.Unlock() }
func locked(f func())        { mu.Lock(); defer mu.Unlock(); f() }
func freshChain(t testing.TB) {
	resetChain()
	discardLog(t)
	t.Cleanup(func() { locked(func() { sockets = nil }); resetChain() })
}

// chainNow부터 socketOf까지는 이 프로세스 노드의 값을 mu를 잠그고 읽는다 (badOf는 소켓이 없으면 -1, 연결 c의 소켓이 없으면 socketOf는 nil).
func chainNow() []Block     { mu.Lock(); defer mu.Unlock(); return slices.Clone(getBlockchain()) }
func socketsNow() []*socket { mu.Lock(); defer mu.Unlock(); return slices.Clone(getSockets()) }
func queuedNow() int        { mu.Lock(); defer mu.Unlock(); return queuedBytes }
func dialedNow() int        { mu.Lock(); defer mu.Unlock(); return len(dialed) }
func streamsNow() (n int)   { streams.Range(func(_, _ any) bool { n++; return true }); return n }
func badOf(ws *socket) int {
	if ws == nil {
		return -1
	}
	mu.Lock()
	defer mu.Unlock()
	return ws.bad
}
func socketOf(c net.Conn) *socket {
	s := socketsNow()
	if i := slices.IndexFunc(s, func(s *socket) bool { return s.addr == c.LocalAddr().String() }); i >= 0 {
		return s[i]
	}
	return nil
}

// makeChain은 제네시스 위에 n 개의 블록을 올린 유효한 체인이다(chain[i]의 index는 i). nextBlock은 prev 다음에 올, 문자열 data를
// 가진 블록이고, blockOn은 JSON 배열 글 data와 머클 루트 root(dataRoot: 잘못된 data면 0)를 가진 블록이다. values는 value가 n 개인
// 배열이고(values("0", 3)은 [0,0,0]), valuesRoot는 String(value)가 text인 값 n 개의 머클 루트이다. vals는 문자열들로 data를 만들고, blockEqual은 두 블록의 바이트가 같은지이다.
func makeChain(n int, tag string) []Block {
	chain := []Block{genesisBlock}
	for i := 1; i <= n; i++ {
		chain = append(chain, nextBlock(chain[i-1], fmt.Sprintf("%s block %d", tag, i)))
	}
	return chain
}
func nextBlock(prev Block, data ...string) Block {
	d := string(vals(data...))
	return blockOn(prev, d, dataRoot(d))
}
func blockOn(prev Block, data string, root Hash) Block {
	return Block{Header: BlockHeader{"2.1.0", prev.Header.Index + 1, calculateHashForBlock(prev), 1700000000 + prev.Header.Index + 1, root}, Data: json.RawMessage(data)}
}
func dataRoot(data string) Hash           { f, _ := prepareData(json.RawMessage(data), maxLeaves); return f.root }
func values(value string, n int) string   { return "[" + strings.Repeat(value+",", n-1) + value + "]" }
func valuesRoot(text string, n int) Hash  { return rootOf(slices.Repeat([]Hash{hh(text)}, n)) }
func vals(strs ...string) json.RawMessage { return stringify(append([]string{}, strs...)) }
func blockEqual(a, b Block) bool          { return a.Header == b.Header && string(a.Data) == string(b.Data) }

// chainFrame은 blocks를 담은 RESPONSE_BLOCKCHAIN 프레임이고, response는 JSON 글 blocks를 data 문자열에 담은 그 메시지이다.
func chainFrame(blocks []Block) []byte { return []byte(response(string(stringify(blocks)))) }
func response(blocks string) string    { return `{"type":2,"data":` + string(stringify(blocks)) + `}` }

const queryLatest, queryAll = `{"type":0,"data":null}`, `{"type":1,"data":null}`

// testNode는 테스트가 다루는 노드 하나이다: 자식 프로세스이거나(cmd != nil)이 프로세스 안의 노드이다.
type testNode struct {
	t         testing.TB
	name      string
	http, p2p string // "http://127.0.0.1:port", "ws://127.0.0.1:port"
	cmd       *exec.Cmd
	exited    chan struct{}
	stopped   bool
	mu        sync.Mutex // out을 지킨다
	out       []byte     // 노드가 남긴 로그
}

// Write는 노드의 로그를 모으고, logLines는 끝난 로그 줄, logText는 그 전체, countLog는 substr이 든 줄의 수이며, waitLog는 그런 줄을 기다린다.
func (n *testNode) Write(p []byte) (int, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.out = append(n.out, p...)
	return len(p), nil
}
func (n *testNode) logLines() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	lines := strings.Split(string(n.out), "\n")
	return lines[:len(lines)-1] // 끝나지 않은 줄은 빼고
}
func (n *testNode) logText() string { return strings.Join(n.logLines(), "\n") }
func (n *testNode) countLog(substr string) int {
	return len(slices.DeleteFunc(n.logLines(), func(l string) bool { return !strings.Contains(l, substr) }))
}
func (n *testNode) waitLog(substr string) {
	n.t.Helper()
	waitFor(n.t, fmt.Sprintf("%s to log %q", n.name, substr), func() bool { return n.countLog(substr) > 0 })
}

// addr는 노드의 P2P 주소 "127.0.0.1:port"이고, port는 주소의 포트이다.
func (n *testNode) addr() string { return strings.TrimPrefix(n.p2p, "ws://") }
func port(url string) string     { return url[strings.LastIndex(url, ":")+1:] }

var localNodeMu sync.Mutex // 이 프로세스 안의 노드는 한 번에 하나만

// startLocalNode는 이 프로세스 안에서 노드를 열고, 끝날 때 모든 소켓을 닫고 대기열이 센 바이트가 0으로 돌아오기를 기다린다.
func startLocalNode(t testing.TB) *testNode {
	t.Helper()
	localNodeMu.Lock()
	t.Cleanup(localNodeMu.Unlock) // 뒷정리는 거꾸로 돈다: 잠금은 맨 나중에 푼다 (아래가 실패해도 다음 테스트가 노드를 열 수 있도록)
	freshChain(t)
	n := captureLog(t)
	httpListener, err := net.Listen("tcp", "127.0.0.1:0")
	p2pListener, err2 := net.Listen("tcp", ":0") // 모든 주소: 127.0.0.2 같은 다른 루프백 이름으로도 닿는다
	must(t, cmp.Or(err, err2))
	initHttpServer(httpListener)
	initP2PServer(p2pListener)
	httpSrv := httpServer
	n.http, n.p2p = "http://"+httpSrv.Addr, fmt.Sprintf("ws://127.0.0.1:%d", p2pListener.Addr().(*net.TCPAddr).Port)
	t.Cleanup(func() {
		httpSrv.Close()
		p2pListener.Close()
		closeAllSockets(t)
		waitFor(t, "queued answers to be released", func() bool { return queuedNow() == 0 })
	})
	return n
}

// closeAllSockets는 이 프로세스의 소켓을 모두 닫고 기다린다. newTestSocket은 연결 없이 대기열만 있는 소켓이고, drain은 그 대기열을 비운다.
func closeAllSockets(t testing.TB) {
	t.Helper()
	for _, ws := range socketsNow() {
		ws.close(errors.New("closed by the test"))
	}
	waitFor(t, "all sockets to close", func() bool { return len(socketsNow()) == 0 })
}
func newTestSocket(t testing.TB, addr string) *socket {
	ws := newSocket(addr, "")
	locked(func() { initMessageHandler(ws); initErrorHandler(ws) })
	t.Cleanup(func() { locked(func() { ws.close(errors.New("test over")); release(ws) }) })
	return ws
}
func drain(ws *socket) (frames []string) {
	mu.Lock()
	defer mu.Unlock()
	for len(ws.queue) > 0 {
		f := ws.take()
		sent(ws, f)
		frames = append(frames, string(f.text()))
	}
	return frames
}

// startNode는 peers에 연결하는 자식 프로세스 노드이고 startChild는 env와 args를 그대로 쓴다. startProcess는 cmd의 로그에서 포트를 읽는다.
func startNode(t testing.TB, name string, peers ...string) *testNode {
	t.Helper()
	return startChild(t, name, nil, "-http_port=0", "-p2p_port=0", "-peers="+strings.Join(peers, ","))
}
func startChild(t testing.TB, name string, env []string, args ...string) *testNode {
	t.Helper()
	cmd := exec.Command(os.Args[0], append(args, "-p2p_host=127.0.0.1")...)
	cmd.Env = append(append(os.Environ(), env...), childEnv+"=1")
	return startProcess(t, name, cmd)
}
func startProcess(t testing.TB, name string, cmd *exec.Cmd) *testNode {
	t.Helper()
	n := &testNode{t: t, name: name, cmd: cmd, exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = n, n // 같은 Writer이므로 exec는 한 번에 한 고루틴만 Write를 부른다
	must(t, cmd.Start())
	go func() { cmd.Wait(); close(n.exited) }()
	t.Cleanup(func() {
		n.stop()
		if t.Failed() {
			t.Logf("---- %s's log ----\n%s", n.name, n.logText())
		}
	})
	portAfter := func(prefix string) string {
		_, p, _ := strings.Cut(n.logText()+"\n", prefix)
		p, _, _ = strings.Cut(p, "\n")
		return p
	}
	waitFor(t, name+" to listen", func() bool {
		if h, p := portAfter("Listening http port on: "), portAfter("Listening websocket p2p port on: "); h != "" && p != "" {
			n.http, n.p2p = "http://127.0.0.1:"+h, "ws://127.0.0.1:"+p
		}
		return n.p2p != ""
	})
	return n
}

// stop은 POST /stop을 보내고 끝나기를 기다리며(20초가 지나면 죽인다) 종료 코드 0과 DATA RACE, panic이 없는지 본다.
func (n *testNode) stop() {
	n.t.Helper()
	if n.stopped {
		return
	}
	n.stopped = true
	if n.p2p == "" { // 듣기 전에 멈췄다: 죽이고 아래에서 로그를 보인다
		n.cmd.Process.Kill()
	} else if resp := request(client, "POST", n.http+"/stop", "", nil); resp.status != 200 || resp.body != `{"msg":"Stopping server"}` {
		n.t.Errorf("%s: POST /stop: got %d %q, want 200 {\"msg\":\"Stopping server\"}", n.name, resp.status, resp.body)
	}
	kill := time.AfterFunc(20*time.Second, func() { n.cmd.Process.Kill() })
	<-n.exited
	if !kill.Stop() {
		n.t.Errorf("%s did not exit within 20 s of POST /stop", n.name)
	}
	if code := n.cmd.ProcessState.ExitCode(); code != 0 || n.countLog("DATA RACE") > 0 || n.countLog("panic") > 0 {
		n.t.Errorf("%s exited with code %d, want 0 and no data race or panic:\n%s", n.name, code, n.logText())
	}
}

var client = &http.Client{Timeout: 30 * time.Second}

// reply는 HTTP 응답(실패하면 status 0과 까닭)이고, request는 테스트를 멈추지 않고 응답을 다 읽으며, call은 200의 본문을 반환한다.
type reply struct {
	status int
	body   string
}

func request(hc *http.Client, method, url, body string, headers map[string]string) reply {
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
	resp, err := hc.Do(req)
	if err == nil {
		defer resp.Body.Close()
		var b []byte
		if b, err = io.ReadAll(resp.Body); err == nil {
			return reply{resp.StatusCode, string(b)}
		}
	}
	return reply{body: err.Error()}
}
func (n *testNode) call(method, path, body string) string {
	n.t.Helper()
	r := request(client, method, n.http+path, body, nil)
	if r.status != http.StatusOK {
		n.t.Fatalf("%s %s %s %.100s: got %d %.300s, want 200", n.name, method, path, body, r.status, r.body)
	}
	return r.body
}

// fromJSON은 JSON을 T로 파싱하고, blocks, peers, mineBody(블록과 그 바이트), mine, addPeers는 그 경로에 요청하며, waitSameChain은 체인을 기다린다.
func fromJSON[T any](t testing.TB, raw string) (v T) {
	t.Helper()
	if err := json.Unmarshal([]byte(raw), &v); err != nil {
		t.Fatalf("got %.300s (%v), want JSON for %T", raw, err, v)
	}
	return v
}
func (n *testNode) blocks() []Block { return fromJSON[[]Block](n.t, n.call("GET", "/blocks", "")) }
func (n *testNode) peers() []string { return fromJSON[[]string](n.t, n.call("GET", "/peers", "")) }
func (n *testNode) mineBody(body string) (Block, string) {
	n.t.Helper()
	raw := n.call("POST", "/mineBlock", body)
	return fromJSON[Block](n.t, raw), raw
}
func (n *testNode) mine(data ...string) Block {
	n.t.Helper()
	b, _ := n.mineBody(string(stringify(map[string][]string{"data": data})))
	return b
}
func (n *testNode) addPeers(peers ...string) {
	n.t.Helper()
	n.call("POST", "/addPeers", string(stringify(map[string][]string{"peers": peers})))
}
func waitSameChain(t testing.TB, nodes ...*testNode) []Block {
	t.Helper()
	var chain []Block
	waitFor(t, "nodes to hold the same chain", func() bool {
		chain = nodes[0].blocks()
		return !slices.ContainsFunc(nodes[1:], func(n *testNode) bool { return !slices.EqualFunc(chain, n.blocks(), blockEqual) })
	})
	return chain
}

// upgrade는 Origin 없는 웹소켓 핸드셰이크 요청(끝의 빈 줄 없이)이고, tcpDial은 TCP로 연결해 send를 보낸다 (rcvbuf는 받는 버퍼).
const upgrade = "GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
	"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"

func tcpDial(t testing.TB, addr string, rcvbuf int, send string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", strings.TrimPrefix(strings.TrimPrefix(addr, "ws://"), "http://"), 5*time.Second)
	must(t, err)
	if rcvbuf > 0 {
		c.(*net.TCPConn).SetReadBuffer(rcvbuf)
	}
	t.Cleanup(func() { c.Close() })
	io.WriteString(c, send)
	return c
}

// statusCode는 d 안에 온 응답 코드(없으면 ""), dialStatus는 새 연결의 그것, closedWithin은 닫히는지, waitsForRoom은 open을 닫아야 응답이 오는지이다.
func statusCode(c net.Conn, d time.Duration) string {
	c.SetReadDeadline(time.Now().Add(d))
	line, _ := bufio.NewReader(c).ReadString('\n')
	_, code, _ := strings.Cut(line, " ")
	return code[:min(len(code), 3)]
}
func dialStatus(t *testing.T, addr, request string) string {
	return statusCode(tcpDial(t, addr, 0, request), 5*time.Second)
}
func closedWithin(c net.Conn, d time.Duration) bool {
	c.SetReadDeadline(time.Now().Add(d))
	_, err := io.Copy(io.Discard, c)
	return !errors.Is(err, os.ErrDeadlineExceeded)
}
func waitsForRoom(t *testing.T, what, url, request string, open net.Conn, want string) {
	t.Helper()
	extra := tcpDial(t, url, 0, request)
	check(t, what+": status for one connection more than the limit while the others are open", statusCode(extra, 300*time.Millisecond), "")
	open.Close()
	check(t, what+": status for the extra connection after one closed", statusCode(extra, 5*time.Second), want)
}

const answerPrefix = `{"type":2,`

// rawDial은 Origin 없이 핸드셰이크하고, readRawFrame과 readUntil(answerPrefix 같은 prefix까지)은 프레임을 읽으며, writeRawFrame은 rawFrameHeader를 붙여 보낸다.
func rawDial(t testing.TB, p2pURL string, rcvbuf ...int) (net.Conn, *bufio.Reader) {
	t.Helper()
	conn := tcpDial(t, p2pURL, cmp.Or(rcvbuf...), upgrade+"\r\n")
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	r := bufio.NewReader(conn)
	if resp, err := http.ReadResponse(r, nil); err != nil || resp.StatusCode != 101 { // 101의 본문은 없다: r은 첫 프레임에 있다
		t.Fatalf("handshake without Origin: got %v (%v), want 101", resp, err)
	}
	conn.SetDeadline(time.Time{})
	return conn, r
}
func readRawFrame(r *bufio.Reader) (opcode byte, payload []byte, err error) {
	var hdr [10]byte
	if _, err = io.ReadFull(r, hdr[:2]); err != nil {
		return
	}
	opcode, n := hdr[0]&0x0f, uint64(hdr[1]&0x7f)
	if ext := map[uint64]int{126: 2, 127: 8}[n]; ext > 0 { // 길이가 뒤의 2나 8바이트에 있다: hdr[2:10]의 끝에 읽는다
		_, err = io.ReadFull(r, hdr[10-ext:])
		n = binary.BigEndian.Uint64(hdr[2:])
	}
	if err == nil {
		payload = make([]byte, n)
		_, err = io.ReadFull(r, payload)
	}
	return
}
func readUntil(t testing.TB, conn net.Conn, r *bufio.Reader, prefix string) string {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	for {
		if opcode, payload, err := readRawFrame(r); err != nil {
			t.Fatalf("waiting for %s…: %v", prefix, err)
		} else if opcode == 1 && strings.HasPrefix(string(payload), prefix) {
			return string(payload)
		}
	}
}
func rawFrameHeader(opcode byte, length uint64) []byte {
	return append(binary.BigEndian.AppendUint64([]byte{0x80 | opcode, 0x80 | 127}, length), 0, 0, 0, 0)
}
func writeRawFrame(t testing.TB, conn net.Conn, text string) {
	t.Helper()
	_, err := conn.Write(append(rawFrameHeader(1, uint64(len(text))), text...))
	must(t, err)
}

// flood는 c에 head와 limit 바이트까지(실패하면 멈춰) 더 써 쓴 바이트 수를 반환하고, fakePeer는 연결마다 serve를 돌리는 피어의 주소이다.
func flood(c net.Conn, head string, limit int64) (written int64) {
	io.WriteString(c, head)
	for chunk := []byte(strings.Repeat("a", 32<<10)); written < limit; {
		k, err := c.Write(chunk[:min(int64(len(chunk)), limit-written)])
		if written += int64(k); err != nil {
			break
		}
	}
	return written
}
func fakePeer(t *testing.T, serve func(net.Conn)) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	t.Cleanup(func() { ln.Close() })
	go func() {
		for c, err := ln.Accept(); err == nil; c, err = ln.Accept() {
			go func() { defer c.Close(); serve(c) }()
		}
	}()
	return "ws://" + ln.Addr().String()
}

// need는 테스트가 쓰는 바깥 것이 없으면(err가 nil이 아니면) 건너뛰고, env=1이면(CI) 실패한다.
func need(t *testing.T, env string, err error, install string) {
	t.Helper()
	if err != nil && os.Getenv(env) == "1" {
		t.Fatalf("%s=1 but %v (%s)", env, err, install)
	} else if err != nil {
		t.Skipf("skipping: %v (%s; %s=1 makes this a failure)", err, install, env)
	}
}
