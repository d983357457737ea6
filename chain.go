// chain.go에는 챕터 1의 블록 구조(블록, 해시, 머클 루트, 검증, 블록 추가)가 들어 있다. Go 문법은 README의 「Go를 처음 보면」에
// 있다. 주석의 표시는 이렇다.
//   - 챕터와 다른 점: 챕터와 다르게 동작하는 곳. "(한계)"가 붙은 것은 잘못되거나 지나친 입력에만 보이므로 처음에는 건너뛰어도
//     된다(자세한 것은 README 표).
//   - 챕터에 없는 최적화: 결과는 같지만 더 빠르게 쓴 곳.
//   - 노트와 다른 점: 노트가 챕터와 다르거나 틀린 곳.
package main

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// BlockHeader는 챕터의 class BlockHeader이다. (main.js 7–15행) 해시(Hash)는 메모리에서 32바이트 배열이고, JSON에서는 챕터처럼
// 64자리 대문자 16진수 문자열이다. Hash{}는 '0'.repeat(64)이다.
// 챕터와 다른 점: (한계) 해시 형식이 틀리거나 값이 한계 밖인 블록은 받지 않는다 (README 표).
type BlockHeader struct {
	Version      string `json:"version"`
	Index        int64  `json:"index"`
	PreviousHash Hash   `json:"previousHash"`
	Timestamp    int64  `json:"timestamp"`
	MerkleRoot   Hash   `json:"merkleRoot"`
}

// Block은 챕터의 class Block이다. (main.js 17–22행)
type Block struct {
	Header BlockHeader     `json:"header"`
	Data   json.RawMessage `json:"data"` // JSON.stringify가 쓴 [값,값,…] 그대로. 챕터와 다른 점: (한계) 배열만, 1 MiB까지
}

// Node.js는 핸들러를 한 번에 하나씩 실행하므로 챕터는 전역 변수를 그냥 쓴다. Go에서는 뮤텍스 mu가 그 일을 한다. HTTP 핸들러와
// 받은 메시지의 처리는 mu를 잠근 채 챕터의 함수를 부른다(p2p.go의 함수들은 부르는 쪽이 이미 잠갔다).
// 챕터와 다른 점: 요청과 메시지는 도착한 차례가 아니라 mu를 얻은 차례로 처리된다. 같은 피어가 보낸 메시지는 온 차례대로이다.
var (
	mu         sync.Mutex // blockchain과 sockets(p2p.go), 그리고 배너 아래의 몇몇 값을 보호한다
	blockchain = []Block{getGenesisBlock()}
)

// getBlockchain은 지금의 블록체인을 반환한다. (main.js 26행)
func getBlockchain() []Block { return blockchain }

// getLatestBlock은 블록체인의 마지막 블록을 반환한다. (main.js 27행)
func getLatestBlock() Block { return blockchain[len(blockchain)-1] }

// getGenesisBlock은 비트코인 제네시스 블록의 날짜와 문자열로 만든 첫 블록을 반환한다. (main.js 29–41행)
func getGenesisBlock() Block {
	const version = "1.0.0"
	const index = 0
	previousHash := Hash{}       // '0'.repeat(64)
	const timestamp = 1231006505 // 2009/01/03 6:15pm (UTC)
	data := json.RawMessage(`["The Times 03/Jan/2009 Chancellor on brink of second bailout for banks"]`)

	merkleRoot := merkleRootOf(data) // merkle("sha256").sync(data).root() || '0'.repeat(64)

	header := BlockHeader{version, index, previousHash, timestamp, merkleRoot}
	return Block{Header: header, Data: data}
}

// generateNextBlock은 마지막 블록 다음에 올 새 블록을 blockData로 생성한다. (main.js 43–55행)
func generateNextBlock(blockData json.RawMessage) Block {
	previousBlock := getLatestBlock()
	currentVersion := getCurrentVersion()
	nextIndex := previousBlock.Header.Index + 1
	previousHash := calculateHashForBlock(previousBlock)
	nextTimestamp := getCurrentTimestamp()

	merkleRoot := merkleRootOf(blockData) // merkle("sha256").sync(blockData).root() || '0'.repeat(64)

	newBlockHeader := BlockHeader{currentVersion, nextIndex, previousHash, nextTimestamp, merkleRoot}
	return Block{Header: newBlockHeader, Data: blockData}
}

// getCurrentVersion은 이 노드가 생성하는 블록의 버전으로, 챕터 2의 package.json에 적힌 "2.1.0"이다. (main.js 57–61행)
// 챕터와 다른 점: ./package.json을 읽지 않고 값을 코드에 적었다.
func getCurrentVersion() string { return "2.1.0" }

// getCurrentTimestamp는 지금 시각을 Math.round(밀리초 / 1000)로 구해 초 단위로 반환한다. (main.js 63–65행)
func getCurrentTimestamp() int64 { return (time.Now().UnixMilli() + 500) / 1000 }

// addBlock은 새 블록이 마지막 블록 위에 올 수 있으면 체인에 추가하고 true를 반환한다. (main.js 67–73행)
// 챕터와 다른 점: 체인 전체의 응답이 Go 노드가 받는 프레임 하나의 한계(블록 16,384개, 64 MiB, data 값 2^20개)를 넘게 할
// 블록은 추가하지 않고 "Not adding block …"을 출력한다(/mineBlock은 400). 그보다 긴 체인도 받지 않는다(자바스크립트 노드와
// 갈라진다). 정상적으로 블록을 계속 생성해도 언젠가 닿는 한계이다.
func addBlock(newBlock Block) bool {
	if isValidNewBlock(newBlock, getLatestBlock()) && fitsInOneMessage(newBlock) {
		blockchain = append(blockchain, newBlock)
		return true
	}
	return false
}

// calculateHash는 version + index + previousHash + timestamp + merkleRoot 문자열의 SHA-256이다. (main.js 75–77행)
// 값을 +처럼 이어 붙여 해시하는 일은 배너 아래의 sha256Of가 한다.
func calculateHash(version string, index int64, previousHash Hash, timestamp int64, merkleRoot Hash) Hash {
	// CryptoJS.SHA256(version + index + previousHash + timestamp + merkleRoot).toString().toUpperCase()
	return sha256Of(version, index, previousHash, timestamp, merkleRoot)
}

// calculateHashForBlock은 블록 헤더의 다섯 값으로 블록 해시를 구한다. (main.js 79–87행)
func calculateHashForBlock(block Block) Hash {
	return calculateHash(
		block.Header.Version,
		block.Header.Index,
		block.Header.PreviousHash,
		block.Header.Timestamp,
		block.Header.MerkleRoot,
	)
}

// isValidNewBlock은 newBlock이 previousBlock 바로 다음 블록으로 맞는지 검사한다. (main.js 89–110행)
func isValidNewBlock(newBlock Block, previousBlock Block) bool {
	if !isValidBlockStructure(newBlock) {
		// 챕터와 다른 점: (한계) Go 노드에서는 여기 오지 않는다. 구조가 틀린 블록은 받거나 생성하기 전에 거부한다.
		log.Printf("invalid block structure: %s", stringify(newBlock))
		return false
	} else if previousBlock.Header.Index+1 != newBlock.Header.Index {
		log.Println("Invalid index")
		return false
	} else if calculateHashForBlock(previousBlock) != newBlock.Header.PreviousHash {
		log.Println("Invalid previousHash")
		return false
	} else if (string(newBlock.Data) != "[]" && merkleRootOf(newBlock.Data) != newBlock.Header.MerkleRoot) ||
		(string(newBlock.Data) == "[]" && (Hash{}) != newBlock.Header.MerkleRoot) {
		// 위의 string(newBlock.Data) != "[]"는 data.length !== 0이고(data는 JSON.stringify가 쓴 그대로이다), Hash{}는
		// '0'.repeat(64)(빈 data의 머클 루트)이다. merkleRootOf는 mu 밖에서 미리 구해 둔 값을 찾기도 한다(챕터에 없는 최적화).
		// 챕터와 다른 점: (한계) Go 노드에서는 여기 오지 않는다. 첫 블록부터 해시로 이어지는 블록들과 마지막 블록의 머클
		// 루트는 받을 때 검사했다.
		log.Println("Invalid merkleRoot")
		return false
	}
	return true
}

// isValidBlockStructure는 블록의 각 값이 맞는 타입인지 검사한다. (main.js 112–119행)
// 챕터와 다른 점: (한계) 헤더의 typeof 다섯 개는 필드의 Go 타입이 대신하므로, timestamp가 1.5인 블록 등은 받지 않는다.
func isValidBlockStructure(block Block) bool {
	// typeof(block.header.version) === 'string'      → Version string
	// typeof(block.header.index) === 'number'        → Index int64
	// typeof(block.header.previousHash) === 'string' → PreviousHash Hash
	// typeof(block.header.timestamp) === 'number'    → Timestamp int64
	// typeof(block.header.merkleRoot) === 'string'   → MerkleRoot Hash
	return bytes.HasPrefix(block.Data, []byte("[")) // 챕터와 다른 점: (한계) typeof(block.data) === 'object' 대신 배열인지 본다
}

// isValidChain은 첫 블록이 제네시스 블록과 같고 모든 블록이 앞 블록 위에 바르게 쌓여 있는지 검사한다.
// (main.js 121–133행)
func isValidChain(blockchainToValidate []Block) bool {
	if string(stringify(blockchainToValidate[0])) != string(stringify(getGenesisBlock())) {
		return false
	}
	// var tempBlocks = [blockchainToValidate[0]]. 챕터에 없는 최적화: 배열을 처음부터 체인 길이만큼 잡아 둔다.
	tempBlocks := append(make([]Block, 0, len(blockchainToValidate)), blockchainToValidate[0])
	for i := 1; i < len(blockchainToValidate); i++ {
		if isValidNewBlock(blockchainToValidate[i], tempBlocks[i-1]) {
			tempBlocks = append(tempBlocks, blockchainToValidate[i]) // tempBlocks.push(blockchainToValidate[i])
		} else {
			return false
		}
	}
	return true
}

// ---- 챕터에 없는 것 ----
// 이 아래에 있는 것: 해시와 npm merkle(sha256Of, merkleRootOf, rootOf, prepareData, jsString), JSON.stringify와 JSON.parse(Hash,
// canonicalJSON, stringify), 미리 계산해 둔 머클 루트(factsOf), 한계와 체인을 한 메시지로 보낼 때의 비용(held,
// fitsInOneMessage, withinLimits).

// ── 해시: calculateHash의 +와 npm merkle 0.6.0의 머클 루트 ──

// sha256Of는 CryptoJS.SHA256(a + b + …)이다. 값마다 자바스크립트의 +가 만드는 문자열을 버퍼 하나에 차례로 이어 쓰고, 그
// SHA-256을 구한다. 문자열은 그대로, 정수는 10진수, 해시는 64자리 대문자 16진수로 쓴다.
// 챕터에 없는 최적화: 문자열을 새로 만들지 않고 스택의 버퍼(version이 256바이트까지라 512바이트면 된다)에 이어 쓰므로,
// mu를 잠근 채 긴 체인을 검증해도 할당하지 않는다(TestLimits의 「가장 긴 체인의 검증이 할당하는 바이트」가 잰다).
func sha256Of(values ...any) Hash {
	text := make([]byte, 0, 512)
	for _, v := range values {
		if s, ok := v.(string); ok {
			text = append(text, s...)
		} else if n, ok := v.(int64); ok {
			text = strconv.AppendInt(text, n, 10)
		} else if h, ok := v.(Hash); ok {
			text = h.appendHex(text)
		}
	}
	return sha256.Sum256(text)
}

// merkleRootOf는 npm merkle 0.6.0의 merkle("sha256").sync(data).root() || '0'.repeat(64)이다. 계산은 바로 아래의 rootOf가
// 트리를, prepareData가 리프 노드(값마다 String(value)의 SHA-256)를 맡는다. factsOf는 속도를 위한 캐시일 뿐이다. 받은 블록과
// 생성할 블록은 대개 mu를 잠그기 전에 구해 두었으므로 그 값을 찾고, 없으면(제네시스 블록 등) 그 자리에서 구한다.
func merkleRootOf(data json.RawMessage) Hash { return factsOf(data).root }

// rootOf는 리프 노드들로 머클 루트를 구한다. 한 층씩 올라가며 이웃 둘의 대문자 16진수 문자열을 이어
// 붙여 해시하고, 홀수로 남은 마지막 노드는 그대로 올라간다. 리프 노드가 없으면 '0' 64개이다.
func rootOf(level []Hash) Hash {
	if len(level) == 0 {
		return Hash{}
	}
	for len(level) > 1 {
		parents := level[:0] // 이미 읽은 자리에만 쓰므로 같은 배열에 쓴다
		for i := 0; i+1 < len(level); i += 2 {
			parents = append(parents, sha256Of(level[i], level[i+1])) // hashFunc(left + right): 두 16진수 문자열을 이어 해시한다
		}
		if len(level)%2 == 1 {
			parents = append(parents, level[len(level)-1])
		}
		level = parents
	}
	return level[0]
}

// prepareData는 data 배열의 머클 루트와, 배열과 객체 안의 값까지 센 값의 수를 구한다. data가 이스케이프 없는 문자열들로만
// 되어 있지 않으면 JSON.stringify가 쓰는 형식인지도 본다(canonicalJSON). 값이 limit 개를 넘으면 해시하지 않고 거부한다.
// 리프 노드는 값을 String(value)로 바꾼 문자열에서 만든다. 그 문자열이 이미 64자리 대문자 16진수면 그 값이고, 아니면 그
// 문자열의 SHA-256이다. 빈 문자열도 해시한다. npm merkle 0.6.0의 merkle.js 9, 26, 36행처럼, 정규식 ^[0-9a-f]{64}$를 대문자로
// 바꾼 ^[0-9A-F]{64}$에 맞는 리프 노드는 해시하지 않는다.
func prepareData(data json.RawMessage, limit int) (facts dataFacts, err error) {
	var texts []string // 값마다 String(value). 대부분의 data는 이스케이프 없는 문자열들이라 한 번에 읽는다 (String()은 그 자신)
	if bytes.IndexByte(data, '\\') >= 0 || bytes.Contains(data, []byte("null")) || json.Unmarshal(data, &texts) != nil {
		var values []any
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		canonical, nested, err := canonicalJSON(data) // nested: 배열과 객체 안의 값까지 센 수 ([[0,0]]은 셋)
		if err != nil || !bytes.Equal(canonical, data) || dec.Decode(&values) != nil {
			return dataFacts{}, cmp.Or(err, fmt.Errorf("data %.200q is not an array as JSON.stringify writes it", data))
		}
		texts, facts.values = make([]string, len(values)), nested
		for i, value := range values {
			texts[i] = jsString(value)
		}
	}
	if facts.values = max(facts.values, len(texts)); facts.values > limit { // 파싱하는 일은 중첩된 값의 수에 비례한다
		return dataFacts{}, fmt.Errorf("more than %d data values (counting nested ones) in one frame", maxLeaves)
	}
	leaves := make([]Hash, len(texts)) // 이미 64자리 대문자 16진수인 리프 노드는 그 값, 아니면 그 문자열의 SHA-256
	for i, text := range texts {
		if leaves[i].UnmarshalText([]byte(text)) != nil {
			leaves[i] = sha256.Sum256([]byte(text))
		}
	}
	return dataFacts{root: rootOf(leaves), values: facts.values}, nil
}

// jsString은 JSON에서 읽은 값 v의 String(v)이다. npm merkle은 이것으로 리프 노드를 만든다. 문자열은 그 자신이고, 수와 true,
// false는 JSON.stringify가 쓴 그대로이다. null은 "null", 객체는 "[object Object]"이다. 배열은 원소들의 문자열을 쉼표로 이은
// 것이고(Array.prototype.join), 원소 null은 빈 문자열이 된다.
func jsString(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "[object Object]"
	case []any:
		texts := make([]string, len(v))
		for i, item := range v {
			if item != nil {
				texts[i] = jsString(item)
			}
		}
		return strings.Join(texts, ",")
	}
	return fmt.Sprint(v) // 문자열, json.Number, true, false
}

// ── JSON.parse와 JSON.stringify를 자바스크립트처럼 ──

// Hash는 SHA-256 값이다. 챕터는 해시를 64자리 대문자 16진수 문자열로 다루고, JSON에서도 그렇게 쓰고 읽는다. 메모리에서는
// 32바이트로 두어 블록 하나가 96바이트를 덜 쓴다. 64자리 문자열 둘은 문자열 헤더까지 160바이트이고, 해시 둘은 64바이트이다.
type Hash [32]byte

// String은 64자리 대문자 16진수이다 (crypto-js의 SHA256(…).toString().toUpperCase()).
func (h Hash) String() string { return string(h.appendHex(make([]byte, 0, 64))) }

// appendHex는 해시를 64자리 대문자 16진수로 b에 이어 쓴다.
func (h Hash) appendHex(b []byte) []byte {
	for _, c := range h {
		b = append(b, "0123456789ABCDEF"[c>>4], "0123456789ABCDEF"[c&15])
	}
	return b
}

// MarshalText는 해시를 JSON 문자열로 쓴다.
func (h Hash) MarshalText() ([]byte, error) { return h.appendHex(nil), nil }

// UnmarshalText는 64자리 대문자 16진수 문자열만 읽는다.
// (BlockHeader에 적은 차이) 챕터의 previousHash와 merkleRoot는 아무 문자열이나 된다. 하지만 그런 문자열을 가진 블록은 해시와
// 비교하므로 유효할 수 없다. 여기서는 그 블록을 파싱할 때 거부한다.
func (h *Hash) UnmarshalText(text []byte) error {
	if _, err := hex.Decode(h[:], text[:min(len(text), 64)]); err != nil || len(text) != 64 || bytes.ContainsAny(text, "abcdef") {
		return fmt.Errorf("hash %.80q is not 64 uppercase hex digits", text)
	}
	return nil
}

// canonicalJSON은 JSON.stringify(JSON.parse(raw)), 즉 자바스크립트가 읽고 다시 쓴 문자열이다. 공백이 없어지고, 수는
// 자바스크립트의 형식이 된다(1.0 → 1, 1e21 → 1e+21). 객체에 같은 키가 있으면 뒤의 값이 앞의 위치에 남는다. 배열 인덱스 같은
// 키("0", "1", …)는 자바스크립트의 객체처럼 앞에 작은 순서로 온다. Go가 자바스크립트와 같게 읽을 수 없는 값은 에러이다.
// Infinity가 되는 수, maxDepth보다 깊은 값, 짝이 없는 서로게이트 이스케이프가 그렇다. \ud800 같은 이스케이프를 자바스크립트는
// 그대로 두고 Go는 U+FFFD로 읽는다. UTF-8이 아닌 바이트는 둘 다 U+FFFD로 읽지만 그 개수가 다를 수 있어 에러이다. String()이
// 불리는 객체, 즉 맨 위나 배열 안의 객체에 있는 "toString" 키도 에러이다. 그 String()은 자바스크립트에서 예외를 던진다. 부르는
// 곳(/mineBlock, readMessage)이 차이를 적는다. nested는 raw 안의 값의 수로, 맨 바깥 값은 빼고 배열과 객체 안의 값까지 센다.
func canonicalJSON(raw []byte) (value json.RawMessage, nested int, err error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	value, err = canonicalValue(dec, 0, true, &nested)
	if _, end := dec.Token(); err == nil && end != io.EOF {
		err = errors.New("more after the JSON value")
	} else if err == nil && (!utf8.Valid(raw) || bytes.ContainsRune(value, utf8.RuneError) && slices.ContainsFunc(escapes.FindAllSubmatch(raw, -1), func(m [][]byte) bool { return m[1] != nil })) {
		err = errors.New("a byte that is not UTF-8, or a \\ud800-\\udfff escape without its pair")
	}
	return value, nested - 1, err // 맨 바깥 값은 세지 않는다
}

// escapes는 JSON 문자열의 이스케이프 하나이다. 짝을 이룬 서로게이트, 첫 괄호에 잡히는 짝 없는 서로게이트, 그 밖의 이스케이프
// 중 하나에 맞는다. \\ 다음의 글은 이스케이프가 아니다. 앞에서부터 찾으므로 역슬래시 문자 뒤의 글인 "\\ud800"은 짝 없는
// 서로게이트가 아니다. Go는 짝 없는 서로게이트를 U+FFFD로 읽으므로, canonicalJSON은 U+FFFD를 읽은 값에서만 찾는다.
var escapes = regexp.MustCompile(`(?is)\\(?:ud[89ab][0-9a-f]{2}\\ud[c-f][0-9a-f]{2}|(ud[89a-f][0-9a-f]{2})|.)`)

// canonicalValue는 dec에서 JSON 값 하나를 읽어 canonicalJSON의 형식으로 쓴다. 읽은 값의 수는 안의 값까지 count에 더한다.
// leaf는 이 값에 String()이 닿는지이다.
func canonicalValue(dec *json.Decoder, depth int, leaf bool, count *int) ([]byte, error) {
	token, err := dec.Token()
	*count++
	if err != nil || depth > maxDepth {
		return nil, cmp.Or(err, fmt.Errorf("nested deeper than %d", maxDepth))
	} else if number, ok := token.(json.Number); ok {
		f, err := number.Float64() // 자바스크립트의 수는 float64이다. 1e400은 Infinity가 되어 JSON.stringify가 null로 쓴다
		if err != nil {
			return nil, fmt.Errorf("number %.200q is not finite in JavaScript", number)
		}
		return json.Marshal(f + 0) // encoding/json은 수를 ES6의 number-to-string처럼 쓴다 (1.0 → 1, 1e21 → 1e+21). + 0은 -0을 0으로
	} else if token != json.Delim('[') && token != json.Delim('{') {
		return stringify(token), nil // 문자열, true, false, null
	}
	// items는 배열의 값들, keys는 객체의 키들(처음 나온 순서), values는 객체의 값들(같은 키는 뒤의 값)이다.
	items, keys, values := [][]byte(nil), []string(nil), map[string][]byte{}
	for dec.More() {
		key := "" // 배열의 값에는 키가 없다
		if token == json.Delim('{') {
			keyToken, _ := dec.Token()
			key, _ = keyToken.(string) // 잘못된 JSON이면 다음 Token이 에러를 반환한다
		}
		value, err := canonicalValue(dec, depth+1, leaf && token == json.Delim('['), count) // String()은 배열의 원소에 닿고 객체의 값에는 닿지 않는다
		if err != nil || leaf && key == "toString" {
			return nil, cmp.Or(err, errors.New(`an object with a "toString" key: String() throws in JavaScript`))
		} else if token == json.Delim('[') {
			items = append(items, value)
			continue
		} else if _, seen := values[key]; !seen {
			keys = append(keys, key)
		}
		values[key] = value
	}
	dec.Token()
	if token == json.Delim('[') {
		return append(append([]byte{'['}, bytes.Join(items, []byte(","))...), ']'), nil
	}
	// 배열 인덱스인 키가 먼저 작은 순서로, 나머지는 처음 나온 순서로
	slices.SortStableFunc(keys, func(a, b string) int { return cmp.Compare(arrayIndex(a), arrayIndex(b)) })
	for i, key := range keys {
		keys[i] = string(stringify(key)) + ":" + string(values[key])
	}
	return []byte("{" + strings.Join(keys, ",") + "}"), nil
}

// arrayIndex는 key가 자바스크립트의 배열 인덱스(0 … 2^32-2를 10진수로 쓴 것)이면 그 값이고, 아니면 2^32이다.
func arrayIndex(key string) uint64 {
	n, err := strconv.ParseUint(key, 10, 32)
	if err != nil || n == 1<<32-1 || strconv.FormatUint(n, 10) != key {
		return 1 << 32
	}
	return n
}

// stringify는 자바스크립트의 JSON.stringify처럼 v를 JSON으로 바꾼다. 그래서 정직한 노드가 보내는 같은 메시지라면 Go 노드의
// 바이트는 자바스크립트 노드의 바이트와 같다. encoding/json과 다른 두 가지를 맞춘다. SetEscapeHTML(false)로 <, >, & 를
// \u003c처럼 바꾸지 않고, 줄 구분 문자 U+2028, U+2029를 그대로 둔다.
func stringify(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.Encode(v) // 블록과 메시지의 값은 늘 JSON으로 쓸 수 있다
	if out := bytes.TrimSuffix(buf.Bytes(), []byte("\n")); !bytes.Contains(out, []byte(`\u202`)) {
		return out // 줄 구분 문자가 없는 대부분의 경우
	}
	// encoding/json이 쓴 \u2028, \u2029를 문자 그대로 되돌린다. 앞에서부터 바꾸므로 역슬래시 문자인 \\가 먼저 짝지어진다.
	// 그래서 역슬래시 문자 뒤에 "u2028"이 온 \\u2028은 건드리지 않는다.
	return []byte(lineSeparators.Replace(strings.TrimSuffix(buf.String(), "\n")))
}

// lineSeparators는 stringify가 encoding/json의 \u2028, \u2029를 문자 그대로 되돌리는 치환이다. 블록마다 새로 만들지 않는다.
var lineSeparators = strings.NewReplacer(`\\`, `\\`, `\u2028`, "\u2028", `\u2029`, "\u2029")

// answerSize는 JSON 문자열 s를 RESPONSE_BLOCKCHAIN의 data 문자열 안에 다시 쓴 바이트 수이다. "와 \ 가 두 바이트가 된다.
// JSON.stringify가 쓴 JSON에는 제어 문자가 그대로 들어 있지 않다.
func answerSize(s string) int { return len(s) + strings.Count(s, `"`) + strings.Count(s, `\`) }

// ── 미리 계산해 둔 머클 루트 찾기 (속도를 위한 것: 값은 prepareData와 rootOf가 구한 것과 같다) ──

// dataFacts는 mu를 잠그기 전에 블록 하나의 data에 대해 미리 계산한 것이다. data의 머클 루트와 값의 수이다. 블록은 그 data
// 배열의 주소로 찾는다. 받은 블록과 생성할 블록의 data는 저마다 따로 만든 배열이고, 블록은 만든 뒤에 바뀌지 않기 때문이다.
type dataFacts struct {
	root   Hash
	values int
}

// factsOf는 data의 머클 루트와 값의 수이다. 받은 메시지의 known이나 생성할 블록의 bodies에 미리 계산한 것이 있으면 그것을
// 쓴다. 없으면 구한다. 제네시스 블록처럼 작은 data가 그렇다. mu를 잠근 채로 불러야 한다.
func factsOf(data json.RawMessage) dataFacts {
	if len(data) == 0 {
		return dataFacts{}
	} else if f, ok := known.facts[&data[0]]; ok {
		return f
	} else if f, ok := bodies.Load(&data[0]); ok {
		return f.(dataFacts)
	}
	f, _ := prepareData(data, maxLeaves)
	return f
}

// bodies는 readBody가 생성할 블록의 data에 대해 mu 밖에서 미리 계산한 것들이다. data 배열의 주소마다 dataFacts가 있고,
// fitsInOneMessage가 지운다.
var bodies sync.Map

// ── 한계, 그리고 체인을 한 메시지로 보낼 때의 비용 ──

const (
	maxBlockDataBytes = 1 << 20   // 블록 하나의 data를 JSON으로 쓴 크기의 한계 (HTTP 본문 100 KB로 생성할 수 있는 어떤 data보다 크다)
	maxSafeInteger    = 1<<53 - 1 // 자바스크립트가 정확히 다루는 가장 큰 정수
	maxDepth          = 64        // data의 값 안에 배열과 객체가 겹칠 수 있는 깊이의 한계
	maxFrameBytes     = 64 << 20  // 받는 프레임 하나, 그리고 체인 전체를 담은 응답 프레임의 최대 크기. 챕터의 ws 1.1.5는 들어온 연결에 100 MiB (WebSocketServer.js 40행)
	maxLeaves         = 1 << 20   // 프레임 하나, 그리고 체인 전체의 응답에서 파싱하고 해시하는 data 값(배열과 객체 안의 값까지) 수의 한계
	maxBlocks         = 1 << 14   // 받는 프레임 하나와 가진 체인의 블록 수의 한계. 가장 긴 체인을 검증하는 동안에도 mu를 10 ms 쯤만 잠근다 (2코어에서)
)

// cost는 블록들을 RESPONSE_BLOCKCHAIN 프레임 하나로 보낼 때의 비용이다. 프레임의 바이트 수와, 파싱하고 해시할 data 값의
// 수이다. data 값에는 배열과 객체 안의 값도 든다. 받는 쪽은 프레임 하나에, 가진 쪽은 체인 전체의 응답에 같은
// 한계(maxFrameBytes, maxLeaves)를 둔다.
type cost struct{ bytes, values int }

// frameBase는 응답 프레임에서 블록들 밖의 바이트 수이다. 블록마다 뒤의 쉼표 하나를 더해 세므로(blockBytes) 하나를 뺀다.
const frameBase = len(`{"type":2,"data":"[]"}`) - 1

// tally는 블록들을 응답 프레임 하나로 보낼 때의 비용(total)을 세어 둔 것이다. 받은 블록들이면 mu를 잠그기 전에 블록마다 미리
// 계산한 dataFacts도 둔다. 블록의 data는 저마다 따로 만든 배열이라, 블록들은 그 수와 마지막 블록의 data 배열 주소로 알아본다.
type tally struct {
	tip    *byte
	blocks int
	total  cost
	facts  map[*byte]dataFacts // data 배열의 주소마다
}

// held는 지금 체인에 대해 세어 둔 것이고, mu로 보호한다. 그래서 체인을 다시 돌지 않고도 그 비용을 안다. fitsInOneMessage가
// 블록을 추가할 때 적고, 받은 체인으로 교체되었을 때는 receive가 적는다. known은 챕터의 코드가 지금 다루는 받은 메시지에 대해
// 미리 계산한 것이다. receive가 넣고 지우며, mu로 보호한다.
var held, known tally

// blockBytes는 블록 하나가 응답 프레임에 더하는 바이트 수이다 (블록 뒤의 쉼표 하나까지).
func blockBytes(block Block) int {
	return answerSize(`{"header":,"data":}`+string(stringify(block.Header))) + answerSize(string(block.Data)) + 1
}

// chainCost는 지금 체인 전체를 응답 프레임 하나로 보낼 때의 비용이다. 적어 둔 held가 다른 체인의 것이면 블록마다 세어 적는다.
// 테스트가 체인을 바꾼 뒤가 그렇다.
func chainCost() cost {
	if len(blockchain) != held.blocks || &blockchain[len(blockchain)-1].Data[0] != held.tip {
		held = tally{&blockchain[len(blockchain)-1].Data[0], len(blockchain), cost{frameBase, 0}, nil}
		for _, block := range blockchain {
			held.total = cost{held.total.bytes + blockBytes(block), held.total.values + factsOf(block.Data).values}
		}
	}
	return held.total
}

// fitsInOneMessage는 newBlock을 추가한 체인 전체의 응답이 한계 안인지 알려준다. 한계 안이면 그 체인의 비용을 held에 적는다.
// 생성한 블록이면 readBody가 미리 계산한 것(bodies)을 다 썼으므로 지운다. 요청이 끝날 때 지우면, 클라이언트가 먼저 끊은
// 요청은 mu를 잠근 뒤 머클 루트를 다시 구하게 된다.
func fitsInOneMessage(newBlock Block) bool {
	c := chainCost()
	c = cost{c.bytes + blockBytes(newBlock), c.values + factsOf(newBlock.Data).values}
	bodies.Delete(&newBlock.Data[0])
	if c.bytes > maxFrameBytes || c.values > maxLeaves || len(blockchain) >= maxBlocks {
		log.Printf("Not adding block %d: the whole chain would no longer fit in one frame (64 MiB, 2^20 data values, %d blocks)", newBlock.Header.Index, maxBlocks)
		return false
	}
	held = tally{&newBlock.Data[0], len(blockchain) + 1, c, nil}
	return true
}

// withinLimits는 받은 블록(헤더 h와 data)이 챕터에 없는 한계 안인지 알려준다. version은 256바이트까지이다. index와
// timestamp는 자바스크립트가 정확히 다루는 정수여야 한다. 즉 Number.isSafeInteger처럼 ±(2^53-1) 안이다. data는 JSON으로
// 1 MiB까지이다. 이 노드가 생성하는 블록은 늘 그 안이다.
func withinLimits(h BlockHeader, data json.RawMessage) bool {
	return len(h.Version) <= 256 && -maxSafeInteger <= min(h.Index, h.Timestamp) && max(h.Index, h.Timestamp) <= maxSafeInteger && len(data) <= maxBlockDataBytes
}
