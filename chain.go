// chain.go 는 챕터 1 의 블록 구조를 옮긴 것이다: 블록, 해시, 머클 루트, 검증, 추가와 교체.
package main

import (
	"crypto/sha256"
	"log"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// BlockHeader 는 챕터 1 의 class BlockHeader 이다. JSON 키 순서도 챕터와 같다.
type BlockHeader struct {
	Version      string `json:"version"`
	Index        int64  `json:"index"`
	PreviousHash string `json:"previousHash"`
	Timestamp    int64  `json:"timestamp"`
	MerkleRoot   string `json:"merkleRoot"`
}

// Block 은 챕터 1 의 class Block 이다: 헤더와 데이터(문자열 배열).
type Block struct {
	Header BlockHeader `json:"header"`
	Data   []string    `json:"data"`
}

// nodeVersion 은 이 노드가 캐는 블록에 넣는 버전이다 (챕터의 package.json 의 version).
const nodeVersion = "1.0.0"

// maxSafeInteger 는 자바스크립트가 정확히 다루는 가장 큰 정수(2^53-1)이다.
const maxSafeInteger = 1<<53 - 1

// zeroHash 는 데이터가 없을 때의 머클 루트이자 제네시스 블록의 previousHash 이다 ('0'.repeat(64)).
const zeroHash = "0000000000000000000000000000000000000000000000000000000000000000"

// 챕터와 다른 점: 챕터의 var blockchain 은 전역 배열 하나이다. Go 에서는 여러 고루틴이 동시에
// 읽고 쓰므로, 체인을 바꾸는 쪽(addBlock, replaceChain)은 blockchainMu 로 한 줄로 세우고,
// 읽는 쪽(getBlockchain, getLatestBlock)은 잠금 없이 지금 체인의 스냅숏을 읽는다.
// 블록은 한 번 체인에 들어가면 바뀌지 않으므로 스냅숏은 언제나 온전한 체인이다.
var (
	blockchainMu sync.Mutex              // protects changes to blockchain: read-tip, validate, append or replace
	blockchain   atomic.Pointer[[]Block] // the chain; each Store publishes a new snapshot
)

// init 은 체인을 제네시스 블록 하나로 시작한다 (챕터의 var blockchain = [getGenesisBlock()]).
func init() { setBlockchain([]Block{getGenesisBlock()}) }

// setBlockchain 은 새 체인 스냅숏을 내건다 (챕터의 blockchain = …).
func setBlockchain(chain []Block) { blockchain.Store(&chain) }

// getBlockchain 은 지금의 블록체인을 돌려준다.
func getBlockchain() []Block { return *blockchain.Load() }

// getLatestBlock 은 블록체인의 마지막 블록을 돌려준다.
func getLatestBlock() Block {
	chain := getBlockchain()
	return chain[len(chain)-1]
}

// getGenesisBlock 은 비트코인 제네시스 블록의 날짜와 글귀로 만든 첫 블록을 돌려준다.
func getGenesisBlock() Block {
	const version = "1.0.0"
	const index = 0
	const previousHash = zeroHash
	const timestamp = 1231006505 // 2009/01/03 6:15pm (UTC)
	data := []string{"The Times 03/Jan/2009 Chancellor on brink of second bailout for banks"}

	merkleRoot := calculateMerkleRoot(data)
	header := BlockHeader{version, index, previousHash, timestamp, merkleRoot}
	return Block{header, data}
}

// generateNextBlock 은 마지막 블록 다음에 올 새 블록을 blockData 로 만든다.
func generateNextBlock(blockData []string) Block {
	previousBlock := getLatestBlock()
	currentVersion := getCurrentVersion()
	nextIndex := previousBlock.Header.Index + 1
	previousHash := calculateHashForBlock(previousBlock)
	nextTimestamp := getCurrentTimestamp()
	merkleRoot := calculateMerkleRoot(blockData)
	newBlockHeader := BlockHeader{currentVersion, nextIndex, previousHash, nextTimestamp, merkleRoot}
	return Block{newBlockHeader, blockData}
}

// calculateHashForBlock 은 블록 헤더의 다섯 값으로 블록 해시를 구한다.
func calculateHashForBlock(block Block) string {
	h := block.Header
	return calculateHash(h.Version, h.Index, h.PreviousHash, h.Timestamp, h.MerkleRoot)
}

// calculateHash 는 version + index + previousHash + timestamp + merkleRoot 문자열의 SHA-256 을 대문자 16진수로 돌려준다.
func calculateHash(version string, index int64, previousHash string, timestamp int64, merkleRoot string) string {
	// 챕터와 다른 점: 문자열을 +로 이어 붙이는 대신 스택의 버퍼 하나에 차례로 붙여, 해시 하나에 할당은 결과 문자열 하나뿐이다.
	buf := make([]byte, 0, 192)
	buf = append(buf, version...)
	buf = strconv.AppendInt(buf, index, 10)
	buf = append(buf, previousHash...)
	buf = strconv.AppendInt(buf, timestamp, 10)
	buf = append(buf, merkleRoot...)
	sum := sha256.Sum256(buf)

	var hex [64]byte
	putUpperHex(hex[:], sum)
	return string(hex[:])
}

// putUpperHex 는 32바이트 해시를 64글자 대문자 16진수로 dst 에 쓴다 (crypto-js 의 toString().toUpperCase()).
func putUpperHex(dst []byte, sum [32]byte) {
	const digits = "0123456789ABCDEF"
	for i, b := range sum {
		dst[2*i] = digits[b>>4]
		dst[2*i+1] = digits[b&0x0f]
	}
}

// isUpperHexHash 는 s 가 64글자 대문자 16진수(이미 해시인 값)인지 알려준다. 정규식 없이 한 글자씩 본다.
func isUpperHexHash(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'A' || c > 'F') {
			return false
		}
	}
	return true
}

// calculateMerkleRoot 는 npm merkle 0.6.0 의 merkle("sha256").sync(data).root() || '0'.repeat(64) 와 같은 값을 구한다.
func calculateMerkleRoot(data []string) string {
	// 데이터가 없으면 루트는 '0' 64개이다.
	if len(data) == 0 {
		return zeroHash
	}
	// 잎: 이미 64글자 대문자 16진수면 그대로, 아니면 그 UTF-8 글의 SHA-256 (빈 문자열도 해시한다).
	// 챕터와 다른 점: 노드를 [64]byte 로 다뤄 잎과 부모마다 문자열을 새로 만들지 않는다.
	var small [8][64]byte
	nodes := small[:0]
	if len(data) > len(small) {
		nodes = make([][64]byte, 0, len(data))
	}
	for _, leaf := range data {
		var node [64]byte
		if isUpperHexHash(leaf) {
			copy(node[:], leaf)
		} else {
			putUpperHex(node[:], sha256.Sum256([]byte(leaf)))
		}
		nodes = append(nodes, node)
	}
	// 한 층씩 올라간다: 이웃 둘의 16진수 글을 이어 붙여 해시하고, 홀수로 남은 마지막 노드는 그대로 올라간다.
	var pair [128]byte
	for len(nodes) > 1 {
		parents := nodes[:0]
		for i := 0; i+1 < len(nodes); i += 2 {
			copy(pair[:64], nodes[i][:])
			copy(pair[64:], nodes[i+1][:])
			var parent [64]byte
			putUpperHex(parent[:], sha256.Sum256(pair[:]))
			parents = append(parents, parent)
		}
		if len(nodes)%2 == 1 {
			parents = append(parents, nodes[len(nodes)-1])
		}
		nodes = parents
	}
	return string(nodes[0][:])
}

// addBlock 은 새 블록이 마지막 블록 위에 올 수 있으면 체인에 붙이고 true 를 돌려준다.
// 챕터와 다른 점: 부르는 쪽이 blockchainMu 를 잡고 있어야 한다. 그래야 마지막 블록 읽기, 검사, 붙이기가 한 번에 일어난다.
func addBlock(newBlock Block) bool {
	chain := getBlockchain()
	if isValidNewBlock(newBlock, chain[len(chain)-1]) {
		// 챕터와 다른 점: 새 스냅숏을 내건다. append 는 이전 스냅숏이 보는 칸을 건드리지 않는다.
		setBlockchain(append(chain, newBlock))
		return true
	}
	return false
}

// isValidNewBlock 은 newBlock 이 previousBlock 바로 다음 블록으로 맞는지 검사한다.
func isValidNewBlock(newBlock Block, previousBlock Block) bool {
	if !isValidBlockStructure(newBlock) {
		log.Println("Invalid block structure")
		return false
	} else if previousBlock.Header.Index+1 != newBlock.Header.Index {
		log.Println("Invalid index")
		return false
	} else if calculateHashForBlock(previousBlock) != newBlock.Header.PreviousHash {
		log.Println("Invalid previousHash")
		return false
	} else if calculateMerkleRoot(newBlock.Data) != newBlock.Header.MerkleRoot {
		// 데이터가 없으면 머클 루트는 '0' 64개여야 한다 (calculateMerkleRoot 가 그 값을 돌려준다).
		log.Println("Invalid merkleRoot")
		return false
	}
	return true
}

// isValidBlockStructure 는 블록의 각 값이 맞는 꼴인지 검사한다.
// 챕터와 다른 점: 챕터는 typeof 만 본다. Go 의 JSON 디코더는 빠진 값을 빈 값으로 채우므로,
// 빈 version, 0 이하의 timestamp, null 이거나 빠진 data 는 빠진 것으로 보고 거절한다.
// 정수는 자바스크립트 노드와 같은 글자로 해시되도록 2^53-1 까지만 받고, 해시 칸은 64글자 대문자 16진수여야 한다.
func isValidBlockStructure(block Block) bool {
	h := block.Header
	return h.Version != "" &&
		h.Index >= 0 && h.Index <= maxSafeInteger &&
		isUpperHexHash(h.PreviousHash) &&
		h.Timestamp > 0 && h.Timestamp <= maxSafeInteger &&
		isUpperHexHash(h.MerkleRoot) &&
		block.Data != nil
}

// isValidChain 은 첫 블록이 제네시스 블록과 같고 모든 블록이 앞 블록 위에 맞게 올라가 있는지 검사한다.
func isValidChain(blockchainToValidate []Block) bool {
	// 챕터와 다른 점: 빈 체인은 첫 블록이 없으므로 틀린 체인이다.
	if len(blockchainToValidate) == 0 {
		return false
	}
	// 챕터는 JSON.stringify 로 비교한다. Go 에서는 헤더와 데이터를 그대로 비교한다.
	genesis := getGenesisBlock()
	first := blockchainToValidate[0]
	if first.Header != genesis.Header || !slices.Equal(first.Data, genesis.Data) {
		return false
	}
	// 챕터의 tempBlocks 배열 대신, 바로 앞 블록과 비교한다.
	for i := 1; i < len(blockchainToValidate); i++ {
		if !isValidNewBlock(blockchainToValidate[i], blockchainToValidate[i-1]) {
			return false
		}
	}
	return true
}

// replaceChain 은 받은 체인이 올바르고 지금 체인보다 길면 지금 체인을 그것으로 바꾸고 새 마지막 블록을 알린다.
// 챕터와 다른 점: 부르는 쪽이 blockchainMu 를 잡고 있어야 한다.
func replaceChain(newBlocks []Block) {
	if isValidChain(newBlocks) && len(newBlocks) > len(getBlockchain()) {
		log.Println("Received blockchain is valid. Replacing current blockchain with received blockchain")
		setBlockchain(newBlocks)
		broadcast(responseLatestMsg())
	} else {
		log.Println("Received blockchain invalid")
	}
}

// getCurrentTimestamp 는 지금 시각을 초 단위로 돌려준다 (챕터의 Math.round(ms / 1000)).
func getCurrentTimestamp() int64 {
	return (time.Now().UnixMilli() + 500) / 1000
}

// getCurrentVersion 은 이 노드의 버전 문자열을 돌려준다 (챕터는 package.json 에서 읽는다).
func getCurrentVersion() string { return nodeVersion }
