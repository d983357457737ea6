// chain.go 는 챕터 1 의 블록 구조를 옮긴 것이다: 블록, 해시, 머클 루트, 검증, 블록 추가와 체인 교체.
package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// BlockHeader 는 챕터의 class BlockHeader 이다. JSON 키 순서도 챕터와 같다.
type BlockHeader struct {
	Version      string `json:"version"`
	Index        int64  `json:"index"`
	PreviousHash string `json:"previousHash"`
	Timestamp    int64  `json:"timestamp"`
	MerkleRoot   string `json:"merkleRoot"`
}

// Block 은 챕터의 class Block 이다: 헤더와 데이터(문자열 배열).
type Block struct {
	Header BlockHeader `json:"header"`
	Data   []string    `json:"data"`
}

// 챕터와 다른 점: Node 는 핸들러를 한 번에 하나씩 돌리므로(이벤트 루프) 챕터는 전역 변수를 그냥 쓴다.
// Go 에서는 HTTP 요청과 받은 메시지가 저마다 고루틴에서 동시에 돈다. 그래서 잠금 mu 하나가 이벤트 루프 노릇을 한다:
// 챕터의 로직(HTTP 핸들러 하나, 받은 메시지 하나, 연결이 열리고 닫힐 때)은 모두 mu 를 잡고 돈다.
// 이 규칙 하나 덕분에 blockchain 과 sockets(p2p.go)는 챕터처럼 보통 전역 변수이다. 챕터에 없는 값들 가운데
// 「mu 가 지킨다」고 적힌 것(소켓마다 센 값, 연결한 피어의 목록 등)도 같은 잠금 아래에 있다.
var (
	mu         sync.Mutex // Node 의 이벤트 루프 노릇: blockchain 과 sockets 를 지킨다
	blockchain = []Block{getGenesisBlock()}
)

// getBlockchain 은 지금의 블록체인을 돌려준다.
func getBlockchain() []Block { return blockchain }

// getLatestBlock 은 블록체인의 마지막 블록을 돌려준다.
func getLatestBlock() Block { return blockchain[len(blockchain)-1] }

// getGenesisBlock 은 비트코인 제네시스 블록의 날짜와 글귀로 만든 첫 블록을 돌려준다.
func getGenesisBlock() Block {
	const version = "1.0.0"
	const index = 0
	previousHash := strings.Repeat("0", 64)
	const timestamp = 1231006505 // 2009/01/03 6:15pm (UTC)
	data := []string{"The Times 03/Jan/2009 Chancellor on brink of second bailout for banks"}

	merkleRoot := merkleRootOf(data) // merkle("sha256").sync(data).root() || '0'.repeat(64)

	header := BlockHeader{version, index, previousHash, timestamp, merkleRoot}
	return Block{header, data}
}

// generateNextBlock 은 마지막 블록 다음에 올 새 블록을 blockData 로 생성한다.
func generateNextBlock(blockData []string) Block {
	previousBlock := getLatestBlock()
	currentVersion := getCurrentVersion()
	nextIndex := previousBlock.Header.Index + 1
	previousHash := calculateHashForBlock(previousBlock)
	nextTimestamp := getCurrentTimestamp()

	merkleRoot := merkleRootOf(blockData)

	newBlockHeader := BlockHeader{currentVersion, nextIndex, previousHash, nextTimestamp, merkleRoot}
	return Block{newBlockHeader, blockData}
}

// getCurrentVersion 은 이 노드가 생성하는 블록의 버전이다. 챕터 2 의 package.json 처럼 "2.1.0" 이다 (제네시스 블록만 "1.0.0").
// 챕터와 다른 점: 챕터는 부를 때마다 ./package.json 을 읽는다. 여기서는 그 값을 코드에 적었다.
func getCurrentVersion() string { return "2.1.0" }

// getCurrentTimestamp 는 지금 시각을 초 단위로 돌려준다 (Math.round(밀리초 / 1000)).
func getCurrentTimestamp() int64 {
	return (time.Now().UnixMilli() + 500) / 1000
}

// addBlock 은 새 블록이 마지막 블록 위에 올 수 있으면 체인에 붙이고 true 를 돌려준다.
func addBlock(newBlock Block) bool {
	if isValidNewBlock(newBlock, getLatestBlock()) {
		blockchain = append(blockchain, newBlock)
		return true
	}
	return false
}

// calculateHash 는 version + index + previousHash + timestamp + merkleRoot 문자열의 SHA-256 을 대문자 16진수로 돌려준다.
func calculateHash(version string, index int64, previousHash string, timestamp int64, merkleRoot string) string {
	// 문자열을 + 로 잇는 대신 버퍼 하나에 차례로 붙인다: 블록마다 두 번 부르는 곳이라 빠르게 (upperHex 의 측정값).
	text := make([]byte, 0, 192)
	text = append(text, version...)
	text = strconv.AppendInt(text, index, 10)
	text = append(text, previousHash...)
	text = strconv.AppendInt(text, timestamp, 10)
	text = append(text, merkleRoot...)
	return upperHex(sha256.Sum256(text))
}

// calculateHashForBlock 은 블록 헤더의 다섯 값으로 블록 해시를 구한다.
func calculateHashForBlock(block Block) string {
	return calculateHash(
		block.Header.Version,
		block.Header.Index,
		block.Header.PreviousHash,
		block.Header.Timestamp,
		block.Header.MerkleRoot,
	)
}

// isValidNewBlock 은 newBlock 이 previousBlock 바로 다음 블록으로 맞는지 검사한다.
func isValidNewBlock(newBlock Block, previousBlock Block) bool {
	if !isValidBlockStructure(newBlock) {
		// 챕터와 다른 점: 피어가 보낸 큰 블록이 로그를 키우지 않도록 블록의 JSON 은 200 바이트까지만 찍는다.
		log.Printf("invalid block structure: %s", shorten(stringify(newBlock)))
		return false
	} else if previousBlock.Header.Index+1 != newBlock.Header.Index {
		log.Println("Invalid index")
		return false
	} else if calculateHashForBlock(previousBlock) != newBlock.Header.PreviousHash {
		log.Println("Invalid previousHash")
		return false
	} else if merkleRootOf(newBlock.Data) != newBlock.Header.MerkleRoot {
		// 데이터가 없으면 머클 루트는 '0' 64개여야 한다 (merkleRootOf 가 그 값을 돌려준다).
		log.Println("Invalid merkleRoot")
		return false
	}
	return true
}

// isValidBlockStructure 는 블록의 각 값이 맞는 형식인지 검사한다.
// 챕터와 다른 점: 챕터는 typeof 만 본다. Go 의 JSON 디코더는 빠진 값을 빈 값으로 채우므로
// 빈 version, 1 보다 작은 timestamp, null 이거나 빠진 data 는 빠진 것으로 보고 거절한다.
// 정수는 자바스크립트가 같은 10진수 글자로 해시하는 2^53-1 까지만 받고, 해시 칸은 64글자 대문자 16진수여야 한다.
func isValidBlockStructure(block Block) bool {
	return block.Header.Version != "" &&
		block.Header.Index >= 0 && block.Header.Index <= maxSafeInteger &&
		isUpperHexHash(block.Header.PreviousHash) &&
		block.Header.Timestamp > 0 && block.Header.Timestamp <= maxSafeInteger &&
		isUpperHexHash(block.Header.MerkleRoot) &&
		block.Data != nil
}

// isValidChain 은 첫 블록이 제네시스 블록과 같고 모든 블록이 앞 블록 위에 맞게 올라가 있는지 검사한다.
func isValidChain(blockchainToValidate []Block) bool {
	// 챕터와 다른 점: 빈 체인은 첫 블록이 없으므로 틀린 체인이다 (챕터는 여기서 예외를 던진다).
	if len(blockchainToValidate) == 0 {
		return false
	}
	// 챕터는 JSON.stringify 한 글을 비교한다. Go 에서는 헤더와 데이터를 그대로 비교한다.
	genesis := getGenesisBlock()
	first := blockchainToValidate[0]
	if first.Header != genesis.Header || !slices.Equal(first.Data, genesis.Data) {
		return false
	}
	// 챕터의 tempBlocks 배열은 검사를 마친 블록들이다: 바로 앞 블록과 비교하는 것과 같다.
	for i := 1; i < len(blockchainToValidate); i++ {
		if !isValidNewBlock(blockchainToValidate[i], blockchainToValidate[i-1]) {
			return false
		}
	}
	return true
}

// replaceChain 은 받은 체인이 올바르고 지금 체인보다 길면(같은 길이면 동전을 던져) 바꾸고 새 마지막 블록을 알린다.
// 챕터 2 의 마지막 함수이지만 체인을 바꾸는 일이라 addBlock 과 함께 이 파일에 둔다.
// 교체했으면 true 를 돌려준다.
func replaceChain(newBlocks []Block) bool {
	// 같은 길이의 체인은 handleBlockchainResponse 에서 오지 않는다: 받은 마지막 index 가 더 클 때만 부르기 때문이다.
	if isValidChain(newBlocks) &&
		(len(newBlocks) > len(blockchain) || (len(newBlocks) == len(blockchain) && rand.N(2) == 0)) {
		log.Println("Received blockchain is valid. Replacing current blockchain with received blockchain")
		blockchain = newBlocks
		broadcast(responseLatestMsg())
		return true
	}
	log.Println("Received blockchain invalid")
	return false
}

// ---- 챕터에 없는 것 ----

// maxBlockDataBytes 는 피어가 보낸 블록 하나의 data 의 최대 크기이다 (문자열 바이트의 합). HTTP 몸체의 한계와 같다.
// 챕터와 다른 점: 챕터에는 한계가 없다.
const maxBlockDataBytes = maxBodyBytes

// maxSafeInteger 는 자바스크립트가 정확히 다루는 가장 큰 정수(2^53-1)이다.
const maxSafeInteger = 1<<53 - 1

// merkleRootOf 는 npm merkle 0.6.0 의 merkle("sha256").sync(data).root() || '0'.repeat(64) 와 같은 값을 구한다.
func merkleRootOf(data []string) string {
	// 데이터가 없으면 루트는 '0' 64개이다.
	if len(data) == 0 {
		return strings.Repeat("0", 64)
	}
	// 잎: 이미 64글자 대문자 16진수면 그대로, 아니면 그 UTF-8 글의 SHA-256 (빈 문자열도 해시한다).
	level := make([]string, len(data))
	for i, leaf := range data {
		if isUpperHexHash(leaf) {
			level[i] = leaf
		} else {
			level[i] = sha256Upper(leaf)
		}
	}
	// 한 층씩 올라간다: 이웃 둘의 16진수 글을 이어 붙여 해시하고, 홀수로 남은 마지막 노드는 그대로 올라간다.
	for len(level) > 1 {
		var parents []string
		for i := 0; i+1 < len(level); i += 2 {
			parents = append(parents, sha256Upper(level[i]+level[i+1]))
		}
		if len(level)%2 == 1 {
			parents = append(parents, level[len(level)-1])
		}
		level = parents
	}
	return level[0]
}

// sha256Upper 는 text 의 SHA-256 을 대문자 16진수로 돌려준다 (crypto-js 의 SHA256(text).toString().toUpperCase()).
func sha256Upper(text string) string { return upperHex(sha256.Sum256([]byte(text))) }

// upperHex 는 해시를 64글자 대문자 16진수로 쓴다: strings.ToUpper(hex.EncodeToString(sum[:])) 와 같은 값이다.
// 손으로 다듬은 곳은 이것과 calculateHash 뿐이다: 블록 1만 개 체인 받기가 64 ms 에서 56 ms 로 준다 (README 「벤치마크」).
func upperHex(sum [32]byte) string {
	const digits = "0123456789ABCDEF"
	var out [64]byte
	for i, b := range sum {
		out[2*i], out[2*i+1] = digits[b>>4], digits[b&0x0f]
	}
	return string(out[:])
}

// isUpperHexHash 는 s 가 64글자 대문자 16진수(이미 해시인 값)인지 알려준다.
func isUpperHexHash(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// stringify 는 자바스크립트의 JSON.stringify 처럼 v 를 JSON 으로 바꾼다. 그래서 Go 노드가 보내는 바이트는
// 같은 메시지에 대해 자바스크립트 노드의 바이트와 같다. encoding/json 과 다른 두 가지를 맞춘다:
// <, >, & 를 \u003c 처럼 바꾸지 않고(SetEscapeHTML(false)), 줄 구분 문자 U+2028, U+2029 를 그대로 둔다.
func stringify(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil { // 블록과 메시지는 문자열과 정수뿐이라 일어나지 않는다
		log.Printf("stringify: %v", err)
		return []byte("null")
	}
	out := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	if !bytes.Contains(out, []byte(`\u202`)) {
		return out
	}
	// \u2028, \u2029 를 글자 그대로 되돌린다. \\u2028 은 역슬래시 글자 뒤의 "u2028" 이므로 건드리지 않는다.
	var js []byte
	for i := 0; i < len(out); i++ {
		rest := out[i:]
		switch {
		case bytes.HasPrefix(rest, []byte(`\u2028`)):
			js, i = append(js, "\u2028"...), i+5
		case bytes.HasPrefix(rest, []byte(`\u2029`)):
			js, i = append(js, "\u2029"...), i+5
		case out[i] == '\\':
			js, i = append(js, out[i], out[i+1]), i+1 // \\, \" 같은 두 글자짜리 이스케이프
		default:
			js = append(js, out[i])
		}
	}
	return js
}

// decodeBlocks 는 블록 배열을 담은 JSON 문자열(RESPONSE_BLOCKCHAIN 의 data)을 앞에서부터 블록 하나씩 푼다.
// 블록이 아닌 것을 만나면 바로 멈추므로 [0,0,0,…] 같은 큰 프레임도 프레임 크기의 몇 배 안의 메모리로 거절한다.
// 블록은 null 이 든 data 나 maxBlockDataBytes 보다 큰 data 를 가질 수 없고, isValidBlockStructure 를 통과해야 한다.
func decodeBlocks(text *string) ([]Block, error) {
	if text == nil {
		return nil, errors.New("data is not a string")
	}
	dec := json.NewDecoder(strings.NewReader(*text))
	if t, err := dec.Token(); err != nil || t != json.Delim('[') {
		return nil, errors.New("data is not a JSON array of blocks")
	}
	var blocks []Block
	for dec.More() {
		var b struct {
			Header BlockHeader `json:"header"`
			Data   []*string   `json:"data"` // null 을 알아보려고 포인터로 푼다 (문자열이면 ""와 null 이 같아진다)
		}
		if err := dec.Decode(&b); err != nil {
			return nil, fmt.Errorf("block %d: %v", len(blocks), err)
		}
		block, err := blockOf(b.Header, b.Data)
		if err != nil {
			return nil, fmt.Errorf("block %d: %v", len(blocks), err)
		}
		blocks = append(blocks, block)
	}
	if _, err := dec.Token(); err != nil { // 배열을 닫는 ]
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data has more after the array of blocks")
	}
	if len(blocks) == 0 {
		return nil, errors.New("no blocks")
	}
	return blocks, nil
}

// blockOf 는 헤더와 data 로 블록을 만든다. data 에 null 이 있거나 data 가 maxBlockDataBytes 보다 크거나
// 블록의 형식이 틀리면 에러이다.
func blockOf(header BlockHeader, data []*string) (Block, error) {
	strs, err := dataOf(data)
	if err != nil {
		return Block{}, err
	}
	block := Block{header, strs}
	size := 0
	for _, s := range strs {
		size += len(s)
	}
	if size > maxBlockDataBytes {
		return block, fmt.Errorf("data larger than %d bytes", maxBlockDataBytes)
	}
	if !isValidBlockStructure(block) {
		return block, fmt.Errorf("invalid block structure: %s", shorten(stringify(block)))
	}
	return block, nil
}

// dataOf 는 JSON 에서 포인터로 푼 data 를 문자열 배열로 만든다. null 인 항목이 있으면 에러이고, data 가 null 이면 nil 이다.
func dataOf(data []*string) ([]string, error) {
	if data == nil {
		return nil, nil
	}
	strs := make([]string, len(data))
	for i, s := range data {
		if s == nil {
			return nil, errors.New("null in data: want an array of strings")
		}
		strs[i] = *s
	}
	return strs, nil
}

// lastChainJSON 은 chainJSON 이 마지막으로 만든 글과, 그때 체인의 마지막 블록 해시이다 (mu 가 지킨다).
var lastChainJSON struct{ tip, text string }

// chainJSON 은 JSON.stringify(getBlockchain()) 이다. 체인이 바뀌기 전까지는 한 번 만든 글을 나눠 쓰므로
// GET /blocks 와 QUERY_ALL 의 답이 요청마다 체인 전체를 다시 인코딩하지 않는다.
// 블록마다 앞 블록의 해시를 담으므로 마지막 블록의 해시가 같으면 체인 전체가 같다.
func chainJSON() string {
	tip := calculateHashForBlock(getLatestBlock())
	if lastChainJSON.tip != tip {
		lastChainJSON.tip, lastChainJSON.text = tip, string(stringify(blockchain))
	}
	return lastChainJSON.text
}

// shorten 은 로그에 찍을 글을 200 바이트까지로 줄인다: 피어가 보낸 큰 블록이 로그를 키우지 않도록.
func shorten(text []byte) string {
	if len(text) <= 200 {
		return string(text)
	}
	return strings.ToValidUTF8(string(text[:200]), "") + "…"
}
