// p2p.go 는 챕터 2 를 옮긴 것이다: 웹소켓, 메시지, 브로드캐스트, handleBlockchainResponse, mineBlock, replaceChain.
package main

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/net/netutil"
	"golang.org/x/net/websocket"
)

// MessageType 은 메시지의 종류이다.
type MessageType int

// 챕터의 세 메시지 종류.
const (
	QUERY_LATEST        MessageType = 0
	QUERY_ALL           MessageType = 1
	RESPONSE_BLOCKCHAIN MessageType = 2
)

// Message 는 웹소켓 프레임 하나에 담기는 {"type":T,"data":D} 이다. data 는 null 이거나 문자열이다.
type Message struct {
	Type MessageType `json:"type"`
	Data *string     `json:"data"`
	// 챕터에 없는 것: RESPONSE_BLOCKCHAIN 을 받았으면 mu 를 잡기 전에 data 에서 풀어 둔 블록들 (readMessage)
	blocks []Block
}

// sockets 는 연결된 웹소켓들이다 (챕터의 var sockets = []). blockchain 처럼 mu 가 지킨다 (chain.go 의 규칙).
var sockets []*socket

// socket 은 연결된 웹소켓 하나이다 (챕터의 ws). 라이브러리는 x/net/websocket 이지만 짜임은 gorilla/websocket 의 chat
// 예제와 같다: 연결마다 읽는 고루틴(readPump)과 쓰는 고루틴(writePump)이 하나씩 있고, ws.send 는 보낼 프레임을 대기열 send 에
// 넣기만 하며 writePump 가 차례로 보낸다.
type socket struct {
	conn    *websocket.Conn
	addr    string          // "remoteAddress:remotePort": GET /peers 와 로그에 보이는 값
	url     string          // 우리가 연결한 피어면 그 주소(ws.url), 들어온 연결이면 ""
	send    chan *frame     // ws.send 의 대기열
	closed  chan struct{}   // 소켓이 닫히면 닫힌다 (close 가 한 번만 닫는다)
	once    sync.Once       // close 를 한 번만
	reason  error           // 닫힌 까닭 (close 가 closed 를 닫기 전에 적는다)
	handler func(Message)   // ws.on("message", …) 로 올린 함수
	queued  map[*frame]bool // 대기열에 있거나 보내는 중인 프레임들 (mu 가 지킨다)
	given   [2]uint64       // 이 소켓에 가장 최근에 넣은 답 둘(최신 블록, 체인 전체)의 id: 같은 답을 두 번 보내지 않는다 (mu 가 지킨다)
	since   time.Time       // queued 가 비어 있지 않게 된 때: 가장 오래 밀린 소켓을 고를 때 쓴다 (mu 가 지킨다)
	bad     int             // 이 피어가 보낸 잘못된 메시지 수 (mu 가 지킨다)
}

// getSockets 는 연결된 소켓들을 돌려준다.
func getSockets() []*socket { return sockets }

// initP2PServer 는 리슨하는 ln(main 이 미리 열어 둔다)에서 웹소켓 서버를 열고, 연결이 들어올 때마다 initConnection 을 부른다.
// 챕터와 다른 점: 들어온 연결은 maxPeers 개까지 받고(더 오는 연결은 자리가 날 때까지 기다린다), HTTP 요청 헤더는 dialTimeout 안에
// 와야 하며, 자기 자신에게서 온 연결은 받지 않는다 (isSelf).
func initP2PServer(ln net.Listener) *http.Server {
	// new WebSocket.Server(…) 와 server.on("connection", function (ws) { initConnection(ws); })
	server := websocket.Server{Handshake: isSelf, Handler: func(conn *websocket.Conn) { accept(conn, initConnection) }}
	srv := &http.Server{Addr: ln.Addr().String(), Handler: server, ReadHeaderTimeout: dialTimeout}
	go srv.Serve(eofListener{netutil.LimitListener(ln, maxPeers)})
	// 노트와 다른 점: 노트는 "listeing websocket p2p port on:" 으로 적었다. 챕터의 main.js 를 따른다.
	log.Printf("Listening websocket p2p port on: %d", ln.Addr().(*net.TCPAddr).Port)
	return srv
}

// initConnection 은 새 연결을 sockets 에 넣고, 핸들러들을 올리고, 상대에게 최신 블록을 묻는다.
func initConnection(ws *socket) {
	sockets = append(sockets, ws)    // sockets.push(ws)
	initMessageHandler(ws)           // 메시지가 오면 처리한다 (노트의 intiMessageHandler)
	initErrorHandler(ws)             // 닫히거나 에러가 나면 closeConnection
	write(ws, queryChainLengthMsg()) // 상대의 최신 블록을 묻는다
}

// initMessageHandler 는 소켓에 메시지가 올 때마다 그 종류에 따라 처리하게 한다 (노트의 intiMessageHandler).
// const message = JSON.parse(data) 는 readPump 가 mu 를 잡기 전에 한다 (readMessage: 블록 배열도 그때 풀고 해시를 구해 둔다).
// 챕터와 다른 점: JSON 이 아니거나 형식이 틀리거나 type 이 0, 1, 2 가 아닌 메시지에 챕터의 노드는 죽거나(예외) 조용히 넘어간다.
// 여기서는 이 함수에 오기 전에 한 줄 남기고 잘못된 메시지로 세며, 5 개(maxBadMessages)면 연결을 닫는다 (badMessage).
// 첫 메시지가 dialTimeout 안에 오지 않는 연결도 닫는다 (readPump).
func initMessageHandler(ws *socket) {
	ws.on("message", func(message Message) {
		switch message.Type { // 노트의 MassgeType 은 MessageType 이다
		case QUERY_LATEST:
			write(ws, responseLatestMsg())
		case QUERY_ALL:
			write(ws, responseChainMsg())
		case RESPONSE_BLOCKCHAIN:
			handleBlockchainResponse(ws, message)
		}
	})
}

// initErrorHandler 는 소켓이 닫히거나 에러가 나면 closeConnection 을 부른다.
// 챕터와 다른 점: 챕터는 ws.on("close") 와 ws.on("error") 를 따로 올려, 둘 다 오면 closeConnection 을 두 번 부른다.
// 여기서는 둘을 하나("close")로 받아 한 번만 부른다.
func initErrorHandler(ws *socket) {
	ws.on("close", func(Message) { closeConnection(ws) }) // close 에는 메시지가 없다
}

// closeConnection 은 닫힌 소켓을 sockets 에서 뺀다.
func closeConnection(ws *socket) {
	// 챕터와 다른 점: 챕터는 ws.url 을 찍는데, 들어온 연결이면 undefined 이다. 여기서는 상대의 "주소:포트" 와 닫힌 까닭을 찍는다.
	log.Printf("Connection failed to peer: %s (%v)", cmp.Or(ws.url, ws.addr), ws.reason)
	// 챕터와 다른 점: 챕터에서 두 번째로 불리면 indexOf 가 -1 이라 splice(-1, 1) 이 다른(마지막) 소켓을 뺀다. 여기서는 그 소켓만 뺀다.
	sockets = slices.DeleteFunc(sockets, func(s *socket) bool { return s == ws }) // sockets.splice(sockets.indexOf(ws), 1)
	release(ws)                                                                   // 챕터에 없는 것: 대기열에 남은 프레임과 연결한 피어의 목록에서도 뺀다
}

// connectToPeers 는 받은 피어 주소마다 웹소켓을 열고, 열리면 initConnection 을 부른다.
// 연결은 고루틴이 하므로 기다리지 않고 돌아온다. 고루틴은 부른 쪽이 mu 를 놓은 뒤에 mu 를 잡는다.
func connectToPeers(newPeers []string) {
	for _, peer := range newPeers {
		go func() {
			ws, err := dialPeer(peer) // new WebSocket(peer)
			if err != nil {
				// 챕터와 다른 점: 어느 주소가 왜 실패했는지도 찍는다. 챕터(ws 1.x)는 호스트가 없는 주소에 예외를 던져 /addPeers 가
				// 500 으로 끝나고 뒤의 주소는 시도하지 않으며, http:// 나 wss:// 주소에도 연결한다. 여기서는 ws:// 가 아닌 주소,
				// 이 노드 자신, 이미 연결한 피어, maxPeers 를 넘는 연결을 건너뛰고 그 까닭을 찍는다. 열린 뒤의 에러에는
				// 이 줄 대신 closeConnection 의 줄 하나만 찍는다.
				// 노트와 다른 점: 노트는 "connection failed" 로 적었다. 챕터의 main.js 를 따른다.
				log.Printf("Connection failed: %s: %v", peer, err) // ws.on("error", …)
				return
			}
			mu.Lock()
			initConnection(ws) // ws.on("open", …)
			mu.Unlock()
		}()
	}
}

// handleBlockchainResponse 는 받은 블록들을 보고 내 체인에 붙일지, 체인 전체를 물을지, 체인을 교체할지 정한다.
// 블록들은 readMessage 가 mu 를 잡기 전에 풀어 해시와 머클 루트까지 구해 둔 것이다.
// 챕터와 다른 점: 보낸 소켓 ws 를 더 받는다: 체인 전체는 그 피어에게만 묻는다 (아래).
func handleBlockchainResponse(ws *socket, message Message) {
	receivedBlocks := message.blocks // JSON.parse(message.data): readMessage 가 이미 했다
	latestBlockReceived := receivedBlocks[len(receivedBlocks)-1]
	latestBlockHeld := getLatestBlock()

	if latestBlockReceived.Header.Index > latestBlockHeld.Header.Index {
		// 노트와 다른 점: 노트는 " we got:" 으로 적었다. 챕터처럼 "We got: " 이고, 쉼표 뒤의 공백 둘도 챕터 그대로이다.
		log.Printf("Blockchain possibly behind. We got: %d,  Peer got: %d",
			latestBlockHeld.Header.Index, latestBlockReceived.Header.Index)
		if calculateHashForBlock(latestBlockHeld) == latestBlockReceived.Header.PreviousHash {
			// 받은 블록이 내 마지막 블록을 가리킨다: 바로 붙인다.
			log.Println("We can append the received block to our chain")
			if addBlock(latestBlockReceived) {
				broadcast(responseLatestMsg())
			}
		} else if len(receivedBlocks) == 1 {
			// 블록 하나만 받았는데 붙일 수 없다: 사이의 블록들을 놓쳤거나 다른 포크일 것이니 체인 전체를 묻는다.
			log.Println("We have to query the chain from our peer")
			// 챕터와 다른 점: 챕터는 broadcast(queryAllMsg()) 로 모든 피어에게 묻는다. 그러면 가짜 블록을 보내는 피어 하나가
			// 정직한 이웃들이 저마다 체인 전체를 보내게 만든다. 여기서는 그 블록을 보낸 피어에게만 묻는다.
			write(ws, queryAllMsg())
		} else {
			// 여러 블록(체인 전체)을 받았다: 더 길고 올바르면 교체한다.
			log.Println("Received blockchain is longer than current blockchain")
			replaceChain(receivedBlocks)
		}
	} else {
		// 노트와 다른 점: 노트는 "Receied" 로 적었다.
		log.Println("Received blockchain is not longer than current blockchain. Do nothing")
	}
}

// queryAllMsg 는 상대의 블록체인 전체를 달라는 질의이다 (data 는 없다).
// 노트와 다른 점: 노트의 코드 주석은 "모든 블럭의 데이터를 객체로 보낸다" 이지만, 데이터가 아니라 요청을 보낸다.
func queryAllMsg() Message {
	return Message{Type: QUERY_ALL, Data: nil}
}

// queryChainLengthMsg 는 상대의 최신 블록을 달라는 질의이다 (이름과 달리 길이가 아니라 최신 블록을 묻는다).
// 노트와 다른 점: 노트의 코드 주석은 "최신 블럭의 데이터를 객체로 보낸다" 이지만, 데이터가 아니라 요청을 보낸다.
func queryChainLengthMsg() Message {
	return Message{Type: QUERY_LATEST, Data: nil}
}

// responseChainMsg 는 내 블록체인 전체를 JSON 문자열로 담은 응답이다.
// 노트와 다른 점: 노트의 JSON.stringify([getBlockchain()]) 는 체인을 배열로 한 번 더 감싼다. 챕터처럼 체인 자체를 보낸다.
func responseChainMsg() Message {
	return Message{Type: RESPONSE_BLOCKCHAIN, Data: chainJSON()} // JSON.stringify(getBlockchain()), 체인이 바뀔 때만 새로 쓴다
}

// responseLatestMsg 는 내 최신 블록 하나를 배열에 담아 JSON 문자열로 만든 응답이다 (노트의 responselaatestMsg).
func responseLatestMsg() Message {
	return Message{Type: RESPONSE_BLOCKCHAIN, Data: latestJSON()} // JSON.stringify([getLatestBlock()]), 체인이 바뀔 때만 새로 쓴다
}

// write 는 메시지를 JSON 문자열로 바꿔 그 소켓으로 보낸다 (ws.send(JSON.stringify(message))).
// ws.send 처럼 소켓의 대기열에 넣기만 하고 돌아온다. 메시지를 프레임으로 쓰는 일은 그 소켓의 writePump 가 mu 밖에서 한다.
// 챕터와 다른 점: 같은 프레임을 그 소켓에 이미 넣었으면 다시 넣지 않고, 대기열이 넘치는 느린 피어는 닫는다 (enqueue).
func write(ws *socket, message Message) {
	enqueue(ws, trace("→ "+ws.addr, frameOf(message), ""))
}

// broadcast 는 연결된 모든 소켓(들어온 것과 나간 것 모두)에 메시지를 보낸다.
// 챕터는 소켓마다 write 로 JSON.stringify 를 한다. 여기서는 프레임 하나를 모든 대기열이 나눠 가진다 (enqueue 의 한계도 같다).
func broadcast(message Message) {
	frame := trace("→ *", frameOf(message), fmt.Sprintf(" (broadcast to %d)", len(sockets)))
	for _, socket := range sockets {
		enqueue(socket, frame) // write(socket, message)
	}
}

// mineBlock 은 blockData 로 새 블록을 생성해 체인에 붙이고, 성공하면 모든 피어에게 알린다. 실패하면 nil 이다.
func mineBlock(blockData []json.RawMessage) *Block {
	newBlock := generateNextBlock(blockData)

	if addBlock(newBlock) {
		broadcast(responseLatestMsg())
		return &newBlock
	}
	return nil
}

// replaceChain 은 받은 체인이 올바르고 지금 체인보다 길면(같은 길이면 동전을 던져) 교체하고 새 마지막 블록을 알린다.
// handleBlockchainResponse 는 받은 마지막 index 가 더 클 때만 이 함수를 부르므로, 올바른 체인이면 늘 더 길다:
// 같은 길이의 동전 던지기는 챕터에서도 쓰이지 않는다.
func replaceChain(newBlocks []Block) {
	if isValidChain(newBlocks) &&
		(len(newBlocks) > len(blockchain) || (len(newBlocks) == len(blockchain) && rand.N(2) == 0)) {
		log.Println("Received blockchain is valid. Replacing current blockchain with received blockchain")
		blockchain = newBlocks
		broadcast(responseLatestMsg())
	} else {
		log.Println("Received blockchain invalid")
	}
}

// ---- 챕터에 없는 것 ----

// 챕터와 다른 점: 믿을 수 없는 피어를 위한 한계들 (README 의 「지키는 한계」). 챕터에는 ws 1.x 의 프레임 한계(100 MiB)만 있다.
const (
	maxPeers       = 64       // 들어온 연결 수, 나가는(연결했거나 연결하는 중인) 연결 수, /addPeers 요청 하나의 주소 수의 한계
	maxFrameBytes  = 64 << 20 // 받는 프레임 하나, 그리고 체인 전체를 담은 답 프레임의 최대 크기 (챕터의 ws 1.x 는 100 MiB)
	maxQueued      = 1024     // 한 소켓의 대기열에 기다리는 프레임 수의 한계
	maxLeaves      = 1 << 20  // 받은 프레임 하나에서 머클 잎으로 해시하는 값 수의 한계
	maxBadMessages = 5        // 한 피어가 보낸 잘못된 메시지가 이만큼이면 연결을 닫는다
)

// 챕터와 다른 점: 시간 제한들 (챕터에는 없다). 상수가 아닌 까닭: 테스트의 자식 노드가 짧게 줄인다 (시작할 때 한 번).
var (
	writeTimeout = 30 * time.Second // 프레임 하나를 보내는 최대 시간
	dialTimeout  = 5 * time.Second  // TCP 연결, 웹소켓 핸드셰이크, 들어온 연결의 HTTP 요청 머리와 첫 메시지에 저마다 주는 최대 시간
)

// maxQueuedBytes 는 모든 대기열에 있는 서로 다른 프레임의 바이트 수의 한계이다 (여러 소켓이 나눠 가진 프레임은 한 번 센다).
// 상수가 아닌 까닭: 테스트가 작은 값으로 바꿔 한계를 넘겨 본다.
var maxQueuedBytes = 128 << 20

var (
	queuedBytes int                 // 대기열들에 있는 서로 다른 프레임의 바이트 수 (mu 가 지킨다)
	frames      uint64              // 지금까지 만든 프레임 수: 다음 프레임의 id (mu 가 지킨다)
	dialed      = map[string]bool{} // 우리가 연결한 피어의 "주소:포트" (mu 가 지킨다)
	ownEnds     = map[string]bool{} // 우리가 연결하는 중인 연결의 이쪽 "주소:포트", 자기 자신이면 true (mu 가 지킨다)
	dialing     int                 // 연결을 시도하는 중인 수 (mu 가 지킨다)
	errClosed   = errors.New("connection closed")
)

// frame 은 보낼 웹소켓 프레임 하나이다. 같은 메시지를 보내는 소켓들의 대기열이 같은 frame 을 나눠 가진다.
type frame struct {
	id      uint64 // 프레임마다 다른 번호: 소켓이 받은 답을 기억할 때 쓴다 (프레임을 붙잡아 두지 않도록 포인터 대신)
	shared  bool   // 지금 체인에 대한 답(chainCache, latestCache 의 프레임)인지
	message Message
	size    int    // JSON.stringify(message) 의 바이트 수: 만들기 전에 센다
	summary string // -trace 에 찍을 종류와 블록 범위
	once    sync.Once
	bytes   []byte // JSON.stringify(message): 처음 보내는 writePump 가 mu 밖에서 한 번 만든다
	holders int    // 이 프레임을 대기열에 두었거나 보내는 중인 소켓 수 (mu 가 지킨다)
}

// jsonCache 는 체인의 한 버전(마지막 블록의 해시)에 대해 한 번 쓴 JSON 문자열과 그것을 담은 RESPONSE_BLOCKCHAIN 프레임이다.
type jsonCache struct {
	blocks int    // text 에 든 블록 수
	tip    string // 그 마지막 블록의 해시
	text   string
	size   int // answerSize(text): 다시 세지 않도록 적어 둔다
	frame  *frame
}

// chainCache 와 latestCache 는 지금 체인의 JSON.stringify(getBlockchain()) 와 JSON.stringify([getLatestBlock()]) 이다 (mu 가 지킨다).
var chainCache, latestCache = &jsonCache{}, &jsonCache{}

// chainJSON 은 JSON.stringify(getBlockchain()) 이다. 체인이 바뀌기 전까지 같은 문자열(같은 포인터)을 돌려주므로
// frameOf 가 그 답의 프레임을 나눠 쓴다.
func chainJSON() *string { return cachedJSON(&chainCache, blockchain) }

// latestJSON 은 JSON.stringify([getLatestBlock()]) 이다. chainJSON 처럼 체인이 바뀌기 전까지 같은 문자열을 돌려준다.
func latestJSON() *string { return cachedJSON(&latestCache, blockchain[len(blockchain)-1:]) }

// cachedJSON 은 blocks 를 JSON.stringify 한 문자열을 *cache 에 두고 돌려준다. 마지막 블록의 해시가 바뀌었을 때만 다시 쓰고,
// 전에 쓴 마지막 블록이 그 자리에 그대로 있으면 뒤에 붙은 블록만 더 쓴다. 체인이 교체될 때는 receive 가 받은 문자열로 캐시를
// 새로 두므로, 여기서 보는 것은 블록이 붙기만 한 경우이다.
func cachedJSON(cache **jsonCache, blocks []Block) *string {
	old, tip := *cache, calculateHashForBlock(blocks[len(blocks)-1])
	if old.tip != tip {
		next := &jsonCache{blocks: len(blocks), tip: tip}
		if old.blocks > 0 && old.blocks < len(blocks) && calculateHashForBlock(blocks[old.blocks-1]) == old.tip {
			more := string(stringify(blocks[old.blocks:])[1:])
			next.text, next.size = old.text[:len(old.text)-1]+","+more, old.size+answerSize(more)
		} else {
			next.text = string(stringify(blocks))
			next.size = answerSize(next.text)
		}
		*cache = next
	}
	return &(*cache).text
}

// frameOf 는 메시지의 프레임을 만든다. 지금 체인에 대한 두 답은 체인이 바뀌기 전까지 한 번 만든 프레임을 모든 소켓이 나눠 쓴다.
func frameOf(message Message) *frame {
	for _, c := range []*jsonCache{chainCache, latestCache} {
		if message.Data == &c.text {
			if c.frame == nil {
				summary := describe(RESPONSE_BLOCKCHAIN, blockchain[len(blockchain)-c.blocks:])
				c.frame = newFrame(message, c.size, summary)
				c.frame.shared = true
			}
			return c.frame
		}
	}
	return newFrame(message, 0, describe(message.Type, nil)) // 질의: data 가 없다
}

// newFrame 은 message 의 프레임이다. 바이트는 아직 만들지 않고 그 수만 센다: dataSize 는 data 문자열의 answerSize 이다
// (캐시가 적어 둔 값이라 mu 를 잡은 채 큰 문자열을 다시 세지 않는다).
func newFrame(message Message, dataSize int, summary string) *frame {
	size := len(`{"type":0,"data":null}`)
	if message.Data != nil {
		size = len(`{"type":2,"data":""}`) + dataSize
	}
	frames++
	return &frame{id: frames, message: message, size: size, summary: summary}
}

// build 는 JSON.stringify(f.message) 이다. 답(data 가 JSON.stringify 가 쓴 문자열)은 크기를 미리 아는 버퍼 하나에 바로 쓴다:
// data 안에서 이스케이프할 것은 " 와 \ 뿐이다 (answerSize). 64 MiB 의 답을 encoding/json 으로 쓰면 버퍼가 자라며 두세 배가 든다.
func (f *frame) build() []byte {
	if f.message.Data == nil {
		return stringify(f.message)
	}
	out := fmt.Appendf(make([]byte, 0, f.size), `{"type":%d,"data":"`, f.message.Type)
	for _, c := range []byte(*f.message.Data) {
		if c == '"' || c == '\\' {
			out = append(out, '\\')
		}
		out = append(out, c)
	}
	return append(out, `"}`...)
}

// trace 는 -trace 일 때 보내는 프레임 하나를 한 줄로 찍고 그 프레임을 돌려준다: 받는 쪽, 종류와 블록 범위, 덧붙일 말.
func trace(to string, f *frame, note string) *frame {
	if *tracing {
		log.Printf("%s %s%s", to, f.summary, note)
	}
	return f
}

// describe 는 메시지를 -trace 의 한 줄로 줄인다: 종류와, 블록들이면 그 수와 index 범위 (data 는 찍지 않는다).
func describe(t MessageType, blocks []Block) string {
	name := [...]string{"QUERY_LATEST", "QUERY_ALL", "RESPONSE_BLOCKCHAIN"}[t]
	if len(blocks) == 1 {
		return fmt.Sprintf("%s 1 block [%d]", name, blocks[0].Header.Index)
	} else if len(blocks) > 1 {
		return fmt.Sprintf("%s %d blocks [%d…%d]", name, len(blocks), blocks[0].Header.Index, blocks[len(blocks)-1].Header.Index)
	}
	return name
}

// fitsOneFrame 은 newBlock 을 붙여도 체인 전체를 담은 QUERY_ALL 의 답이 maxFrameBytes 안인지 알려준다.
// 넘는 체인은 다른 Go 노드가 한 프레임으로 받을 수 없으므로 만들지 않는다.
func fitsOneFrame(newBlock Block) bool {
	size := len(`{"type":2,"data":""}`) + chainSize(blockchain) + answerBytes(&newBlock) + 1 // 쉼표 하나와 새 블록
	if size > maxFrameBytes {
		log.Printf("Not adding block %d: the whole chain would no longer fit in one %d MiB frame", newBlock.Header.Index, maxFrameBytes>>20)
	}
	return size <= maxFrameBytes
}

// chainSize 는 JSON.stringify(blocks) 를 답 프레임의 data 문자열에 다시 쓴 바이트 수이다: [블록,블록,…].
func chainSize(blocks []Block) int {
	size := 1
	for i := range blocks {
		size += answerBytes(&blocks[i]) + 1
	}
	return size
}

// answerBytes 는 블록이 QUERY_ALL 의 답 프레임에서 차지하는 바이트 수이다 (처음 한 번 세어 블록에 적어 둔다).
func answerBytes(block *Block) int {
	if block.size == 0 {
		block.size = answerSize(string(stringify(block)))
	}
	return block.size
}

// on 은 ws.on(event, handler) 이다: handler 를 그 이벤트에 등록한다. "message" 면 읽는 고루틴(readPump)이 메시지마다,
// "close" 면 닫히기를 기다리는 고루틴이 한 번, mu 를 잡고 handler 를 부른다. 연결이 없는 소켓(테스트)은 읽지 않는다.
func (ws *socket) on(event string, handler func(Message)) {
	if event == "message" {
		ws.handler = handler
		if ws.conn != nil {
			go readPump(ws)
		}
		return
	}
	go func() {
		<-ws.closed
		mu.Lock()
		handler(Message{})
		mu.Unlock()
		if ws.conn != nil { // 닫는 프레임을 1초까지 보내 본 뒤 닫는다: 기다릴 수 있으므로 mu 를 놓은 뒤에
			ws.conn.SetWriteDeadline(time.Now().Add(time.Second))
			ws.conn.Close()
		}
	}()
}

// readPump 는 소켓에서 프레임을 하나씩 읽어 receive 로 처리한다. 챕터처럼 텍스트 프레임과 바이너리 프레임을 똑같이 읽는다.
// 챕터와 다른 점: 챕터의 노드는 연결하자마자 QUERY_LATEST 를 보내므로 첫 메시지가 dialTimeout 안에 오지 않는 연결은 닫는다:
// 말없이 자리만 차지하는 연결이 들어오는 자리(maxPeers)를 채우지 못하도록.
func readPump(ws *socket) {
	ws.conn.SetReadDeadline(time.Now().Add(dialTimeout))
	for {
		var data []byte
		err := websocket.Message.Receive(ws.conn, &data)
		if errors.Is(err, websocket.ErrFrameTooLarge) {
			err = fmt.Errorf("frame larger than %d bytes", maxFrameBytes)
		} else if errors.Is(err, os.ErrDeadlineExceeded) {
			err = fmt.Errorf("no message within %v", dialTimeout)
		}
		if err != nil {
			ws.close(err)
			return
		}
		ws.conn.SetReadDeadline(time.Time{})
		receive(ws, data)
	}
}

// receive 는 받은 프레임 하나를 처리한다: mu 없이 readMessage 로 풀고 해시를 구한 뒤, mu 를 잡고 챕터의 처리(ws.handler)를 부른다.
// 잘못된 메시지는 badMessage 로 센다.
func receive(ws *socket, data []byte) {
	message, err := readMessage(data)
	mu.Lock()
	defer mu.Unlock()
	if err != nil {
		badMessage(ws, err)
		return
	}
	if *tracing {
		log.Printf("← %s %s", ws.addr, describe(message.Type, message.blocks))
	}
	ws.handler(message)
	// 받은 체인으로 교체했으면 받은 JSON 문자열이 곧 JSON.stringify(getBlockchain()) 이다 (decodeBlocks 가 그 형식만 받는다).
	if len(message.blocks) > 1 && &blockchain[0] == &message.blocks[0] {
		chainCache = &jsonCache{len(blockchain), calculateHashForBlock(getLatestBlock()), *message.Data, chainSize(blockchain), nil}
	}
}

// readMessage 는 받은 프레임을 자바스크립트의 JSON.parse 처럼 읽는다: 키는 대소문자까지 같아야 하고, 같은 키가 둘이면 뒤의 것이다.
// RESPONSE_BLOCKCHAIN 이면 data 의 블록 배열도 풀고(decodeBlocks) 해시와 머클 루트를 구해 둔다(prepareBlocks).
// 챕터와 다른 점: UTF-8 이 아니거나 \ud800 같은 서로게이트 이스케이프가 든 프레임(자바스크립트는 U+FFFD 나 그 문자로 읽는다),
// 문자열이 아닌 data, JSON.stringify 의 형식으로 쓴 블록 배열이 아닌 data 는 잘못된 메시지이다. 질의(0, 1)의 data 는 챕터처럼 보지 않는다.
func readMessage(data []byte) (message Message, err error) {
	if !utf8.Valid(data) || hasSurrogateEscape(data) {
		return message, errors.New("not UTF-8 text, or a \\ud800-\\udfff escape")
	}
	typ, body, err := readFields(data)
	if err != nil {
		return message, err
	}
	var number float64 // {"type":1.0} 도 자바스크립트에서는 1 이다
	if json.Unmarshal(typ, &number) != nil || number != 0 && number != 1 && number != 2 {
		return message, fmt.Errorf("unknown type %s", cmp.Or(shorten(typ), "(none)"))
	}
	message.Type = MessageType(number)
	if message.Type != RESPONSE_BLOCKCHAIN {
		return message, nil
	}
	if err = json.Unmarshal(body, &message.Data); err != nil || message.Data == nil {
		return message, errors.New("RESPONSE_BLOCKCHAIN: data is not a string")
	}
	if message.blocks, err = decodeBlocks(*message.Data); err != nil {
		return message, fmt.Errorf("RESPONSE_BLOCKCHAIN: %v", err)
	}
	prepareBlocks(message.blocks)
	return message, nil
}

// readFields 는 메시지 {"type":…,"data":…} 의 두 값을 JSON.parse 처럼 읽는다: 키는 대소문자까지 같아야 하고, 같은 키가 둘이면
// 뒤의 것이며, 다른 키는 보지 않는다. 정직한 노드가 보내는 형식 {"type":2,"data":"…"} 이면 data 를 그대로 잘라 낸다(큰 체인을
// 한 번 덜 복사한다). 챕터와 다른 점: 그 형식이 아닌 메시지는 64 KiB 까지만 읽는다: 키가 많은 큰 객체가 메모리를 쓰지 못하도록.
func readFields(data []byte) (typ, body json.RawMessage, err error) {
	if prefix := `{"type":2,"data":`; bytes.HasPrefix(data, []byte(prefix)) && bytes.HasSuffix(data, []byte(`"}`)) {
		if body = data[len(prefix) : len(data)-1]; body[0] == '"' && json.Valid(body) {
			return json.RawMessage("2"), body, nil
		}
	}
	var fields map[string]json.RawMessage
	if trimmed := bytes.TrimSpace(data); len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, nil, errors.New("not a JSON object")
	} else if len(data) > 64<<10 {
		return nil, nil, errors.New(`a message over 64 KiB that is not {"type":2,"data":"…"} as JSON.stringify writes it`)
	} else if err := json.Unmarshal(data, &fields); err != nil {
		return nil, nil, err
	}
	return fields["type"], fields["data"], nil
}

// prepareBlocks 는 받은 블록마다 머클 루트와 블록 해시를 mu 밖에서 구해 블록에 적어 둔다: 그러면 mu 를 잡은 챕터의 검증은
// 비교만 한다. 머클 잎은 decodeBlocks 가 프레임 하나에 maxLeaves 개까지만 읽는다.
func prepareBlocks(blocks []Block) {
	for i := range blocks {
		blocks[i].root = merkleRootOf(blocks[i].Data)
		blocks[i].hash = calculateHashForBlock(blocks[i])
	}
}

// decodeBlocks 는 블록 배열을 담은 JSON 문자열(RESPONSE_BLOCKCHAIN 의 data)을 앞에서부터 블록 하나씩 읽는다.
// 자바스크립트의 노드는 이 문자열을 늘 JSON.stringify 로 쓰므로, 그 형식(키의 이름과 차례, 공백 없음, 수와 문자열의 형식)
// 그대로인 것만 받는다: 그러면 Go 가 읽은 값이 자바스크립트가 읽은 값과 같고, 받은 문자열이 곧 JSON.stringify(blocks) 이다.
// 그 형식을 아는 덕분에 encoding/json 보다 몇 배 빨리 읽고(README 「벤치마크」), 블록이 아닌 것을 만나면 바로 멈춘다.
// 챕터와 다른 점: 다른 형식으로 쓴 블록(키의 차례나 공백이 다르거나, 키가 더 있거나, 1.0 처럼 쓴 정수)은 자바스크립트는 받지만
// 여기서는 거절한다. 챕터의 노드가 생성한 블록은 늘 이 형식이다 (남이 보낸 다른 형식의 블록은 자바스크립트 노드가 그대로 전한다).
// isValidBlockStructure 에 맞지 않는 블록(2^53 을 넘는 정수, 1 MiB 를 넘는 data)도 여기서 메시지째 거절한다: 챕터는 index 를
// 견준 뒤에야 isValidNewBlock 이 거절한다.
func decodeBlocks(text string) ([]Block, error) {
	r := &jsonReader{s: text}
	r.expect("[")
	var blocks []Block
	var start int
	for r.err == nil && (len(blocks) == 0 || r.next(',')) {
		rest := r.s
		var b Block
		r.expect(`{"header":{"version":`)
		_, b.Header.Version = r.str()
		r.expect(`,"index":`)
		b.Header.Index = r.integer()
		r.expect(`,"previousHash":`)
		_, b.Header.PreviousHash = r.str()
		r.expect(`,"timestamp":`)
		b.Header.Timestamp = r.integer()
		r.expect(`,"merkleRoot":`)
		_, b.Header.MerkleRoot = r.str()
		r.expect(`},"data":[`)
		for b.Data, start = []json.RawMessage{}, len(r.s); r.err == nil && !r.next(']'); {
			if len(b.Data) > 0 {
				r.expect(",")
			}
			b.Data = append(b.Data, r.value())
			// data 는 읽는 동안 센다: 1 MiB 나 프레임의 maxLeaves 를 넘는 순간 멈추므로, 값이 아무리 많아도 그만큼의 메모리만 든다.
			if r.leaves++; r.err == nil && (start-len(r.s) > maxBlockDataBytes || r.leaves > maxLeaves) {
				r.err = fmt.Errorf("data larger than %d bytes, or more than %d values in a frame", maxBlockDataBytes, maxLeaves)
			}
		}
		if r.expect("}"); r.err == nil && !isValidBlockStructure(b) {
			r.err = errors.New("invalid block structure")
		}
		if r.err != nil {
			return nil, fmt.Errorf("block %d: %v", len(blocks), r.err)
		}
		b.size = answerSize(rest[:len(rest)-len(r.s)])
		blocks = append(blocks, b)
	}
	if r.expect("]"); r.err == nil && r.s != "" {
		r.err = errors.New("more after the array of blocks")
	}
	return blocks, r.err
}

// answerSize 는 JSON 문자열 text 를 RESPONSE_BLOCKCHAIN 의 data 문자열 안에 다시 쓴 바이트 수이다: " 와 \ 가 두 바이트가 된다
// (text 는 JSON.stringify 가 쓴 것이라 제어 문자가 그대로 들어 있지 않다).
func answerSize(text string) int {
	return len(text) + strings.Count(text, `"`) + strings.Count(text, `\`)
}

// jsonReader 는 JSON.stringify 가 쓴 형식의 JSON 문자열을 앞에서부터 읽는다. 처음 틀린 곳에서 err 를 적고, 그 뒤로는 읽지 않는다.
type jsonReader struct {
	s      string // 아직 읽지 않은 나머지
	err    error
	leaves int // 지금까지 읽은 data 의 값 수 (머클 잎)
}

// fail 은 처음 틀린 곳을 err 에 적는다 (나머지의 앞 20 문자까지).
func (r *jsonReader) fail(want string) {
	if r.err == nil {
		r.err = fmt.Errorf("want %s at %.20q", want, r.s)
	}
}

// expect 는 나머지가 lit 로 시작하면 그만큼 읽고, 아니면 틀린 곳으로 적는다.
func (r *jsonReader) expect(lit string) {
	if r.err == nil && strings.HasPrefix(r.s, lit) {
		r.s = r.s[len(lit):]
	} else {
		r.fail(lit)
	}
}

// next 는 다음 바이트가 c 이면 읽고 true 를 돌려준다.
func (r *jsonReader) next(c byte) bool {
	if r.err == nil && r.s != "" && r.s[0] == c {
		r.s = r.s[1:]
		return true
	}
	return false
}

// str 은 문자열 하나를 읽어 그 JSON 문자열(따옴표까지)과 값을 돌려준다. 이스케이프는 JSON.stringify 가 쓰는 형식만 받는다.
func (r *jsonReader) str() (raw, value string) {
	s := r.s
	if !strings.HasPrefix(s, `"`) {
		r.fail("a string")
		return `""`, ""
	}
	end := skipString(s)
	if end >= len(s) {
		r.fail("a whole string")
		return `""`, ""
	}
	r.s, raw, value = s[end+1:], s[:end+1], s[1:end]
	if strings.Contains(raw, `\`) {
		value = ""
		if json.Unmarshal([]byte(raw), &value) != nil || string(stringify(value)) != raw {
			r.err = fmt.Errorf("string %s is not as JSON.stringify writes it", shorten([]byte(raw)))
		}
	}
	return raw, value
}

// skipString 은 s[0] 의 " 로 시작하는 문자열을 닫는 " 의 자리이다 (없으면 len(s)).
func skipString(s string) int {
	i := 1
	for ; i < len(s) && s[i] != '"'; i++ {
		if s[i] == '\\' {
			i++
		} else if s[i] < 0x20 { // 제어 문자는 JSON 문자열 안에 그대로 들어갈 수 없다
			return len(s)
		}
	}
	return min(i, len(s))
}

// integer 는 정수 하나를 읽는다: JSON.stringify 가 쓰는 형식(앞의 0 이나 소수점, 지수가 없는 것)만 받는다.
func (r *jsonReader) integer() int64 {
	end := 0
	for end < len(r.s) && strings.IndexByte("-0123456789", r.s[end]) >= 0 {
		end++
	}
	n, err := strconv.ParseInt(r.s[:end], 10, 64)
	if err != nil || strconv.FormatInt(n, 10) != r.s[:end] {
		r.fail("an integer")
	} else if r.err == nil {
		r.s = r.s[end:]
	}
	return n
}

// value 는 data 의 값 하나를 읽는다. 문자열이 아닌 값은 canonicalJSON 으로 다시 써 보아 JSON.stringify 의 형식인지 본다.
func (r *jsonReader) value() json.RawMessage {
	if strings.HasPrefix(r.s, `"`) {
		raw, _ := r.str()
		return json.RawMessage(raw)
	}
	end, depth := 0, 0
	for ; end < len(r.s); end++ {
		c := r.s[end]
		if c == '"' {
			end += skipString(r.s[end:])
		} else if depth == 0 && (c == ',' || c == ']' || c == '}') {
			break
		} else if c == '[' || c == '{' {
			depth++
		} else if c == ']' || c == '}' {
			depth--
		}
	}
	end = min(end, len(r.s)) // 닫히지 않은 문자열이 끝을 넘겼을 수 있다
	value, err := canonicalJSON([]byte(r.s[:end]))
	if err != nil || string(value) != r.s[:end] {
		r.fail("a value as JSON.stringify writes it")
	} else if r.err == nil {
		r.s = r.s[end:]
	}
	return value
}

// accept 는 들어온 연결 하나를 소켓으로 만들어 init(initConnection)에 넘기고, 소켓이 닫힐 때까지 기다린다
// (websocket.Server 는 Handler 가 돌아오면 연결을 닫는다).
func accept(conn *websocket.Conn, init func(*socket)) {
	ws := newSocket(conn, conn.Request().RemoteAddr, "")
	mu.Lock()
	init(ws)
	mu.Unlock()
	<-ws.closed
}

// isSelf 는 들어온 연결이 우리가 연결하는 중인 연결(ownEnds)의 다른 쪽 끝인지 본다: 그러면 이 노드가 자기 자신에게 연결한 것이다.
// 그 연결은 핸드셰이크에서 거절하고(403), 연결한 쪽(dialPeer)이 그것을 보고 건너뛴다. 어느 이름(127.0.0.2, localhost …)으로 연결했든 같다.
// npm ws 는 Origin 헤더 없이 연결하므로 Origin 은 보지 않는다 (websocket.Handler 는 그런 연결을 거절한다).
func isSelf(_ *websocket.Config, req *http.Request) error {
	mu.Lock()
	defer mu.Unlock()
	if _, ours := ownEnds[req.RemoteAddr]; ours {
		ownEnds[req.RemoteAddr] = true
		return errors.New("a connection from this node itself")
	}
	return nil
}

// newSocket 은 연결 하나로 소켓을 만들고, 대기열을 보내는 writePump 를 띄운다.
func newSocket(conn *websocket.Conn, addr, url string) *socket {
	conn.MaxPayloadBytes = maxFrameBytes
	ws := &socket{conn: conn, addr: addr, url: url, send: make(chan *frame, maxQueued), closed: make(chan struct{}), queued: map[*frame]bool{}}
	go writePump(ws)
	return ws
}

// isClosed 는 소켓이 닫혔는지 알려준다.
func (ws *socket) isClosed() bool {
	select {
	case <-ws.closed:
		return true
	default:
		return false
	}
}

// close 는 소켓이 닫힌 까닭을 적고 ws.closed 를 닫는다. 처음 한 번만 효과가 있고, 기다리는 일이 없다.
func (ws *socket) close(reason error) {
	ws.once.Do(func() {
		ws.reason = reason
		if ws.conn != nil {
			ws.conn.SetDeadline(time.Now()) // 막혀 있는 읽기와 쓰기를 바로 끝낸다
		}
		close(ws.closed)
	})
}

// writePump 는 소켓의 대기열에 들어온 프레임을 차례로 하나씩 보낸다. 그래서 알림은 체인 순서대로 나간다.
// 프레임의 바이트를 만들고 보내는 동안에는 mu 를 잡지 않고, 센 값을 줄일 때만 잡는다.
func writePump(ws *socket) {
	for {
		select {
		case f := <-ws.send:
			var err error
			if !ws.isClosed() { // 닫힌 뒤에는 보내지 않는다: 새 시간 제한이 close 가 건 "지금" 제한을 덮어쓰지 않도록
				f.once.Do(func() { f.bytes, f.message = f.build(), Message{} }) // 만든 뒤에는 체인의 문자열을 놓아 준다
				ws.conn.SetWriteDeadline(time.Now().Add(writeTimeout))
				_, err = ws.conn.Write(f.bytes)       // 텍스트 프레임 하나
				ws.conn.SetWriteDeadline(time.Time{}) // 핑에 답하는 퐁도 이 연결로 나가므로 지난 시간 제한을 남기지 않는다
			}
			mu.Lock()
			sent(ws, f)
			mu.Unlock()
			if err != nil {
				ws.close(err)
				return
			}
		case <-ws.closed:
			return
		}
	}
}

// enqueue 는 ws.send 이다: 프레임을 소켓의 대기열에 넣기만 하고 돌아온다.
// 챕터와 다른 점: 닫힌 소켓에 보내는 것은 버리고(챕터의 ws.send 는 예외를 던진다), 지금 체인에 대한 같은 답을 이미 넣었으면
// (보냈거나 보낼 참이면) 다시 넣지 않는다: 체인이 바뀌기 전까지 QUERY_ALL 을 거듭 보내도 답은 한 번이다. 대기열에 maxQueued 개가 차 있으면 받아 가지 못하는 느린 피어로 보고 닫는다. 새 프레임으로
// 모든 대기열의 프레임이 maxQueuedBytes 를 넘게 되면, 넣기 전에 가장 오래 밀린 소켓부터 닫아 자리를 만들고, 그래도 안 되면 넣지 않는다.
func enqueue(ws *socket, f *frame) {
	for f.holders == 0 && queuedBytes+f.size > maxQueuedBytes && !ws.isClosed() {
		slowest := slowestSocket()
		if slowest == nil {
			log.Printf("Not sending to %s: %d MiB wait to be sent", ws.addr, queuedBytes>>20)
			return
		}
		slowest.close(fmt.Errorf("peer too slow: its frames waited longest while %d MiB waited to be sent", queuedBytes>>20))
		release(slowest)
	}
	switch {
	case ws.isClosed() || ws.queued[f] || f.shared && slices.Contains(ws.given[:], f.id): // 같은 답을 이미 넣었으면 그것이 이 질의의 답도 된다
	case len(ws.send) == cap(ws.send):
		ws.close(fmt.Errorf("peer too slow: %d frames waiting to be sent", maxQueued))
		release(ws)
	default:
		if f.holders++; f.holders == 1 {
			queuedBytes += f.size
		}
		if len(ws.queued) == 0 {
			ws.since = time.Now()
		}
		if ws.queued[f] = true; f.shared {
			ws.given = [2]uint64{f.id, ws.given[0]}
		}
		ws.send <- f
	}
}

// sent 는 대기열에서 나간(보냈거나 버린) 프레임만큼 센 값을 줄인다.
func sent(ws *socket, f *frame) {
	if !ws.queued[f] { // release 가 이미 뺐다
		return
	}
	delete(ws.queued, f)
	if f.holders--; f.holders == 0 {
		queuedBytes -= f.size
	}
}

// release 는 닫힌 소켓의 대기열에 남은 프레임과 보내던 프레임만큼 센 값을 바로 줄이고, 그 피어에 다시 연결할 수 있게 한다.
func release(ws *socket) {
	if ws.url != "" {
		delete(dialed, ws.addr)
	}
	for f := range ws.queued { // 대기열에 남은 프레임은 소켓과 함께 버려진다
		sent(ws, f)
	}
}

// slowestSocket 은 보낼 프레임이 가장 오래 밀려 있는, 아직 열린 소켓이다 (없으면 nil).
func slowestSocket() *socket {
	var slowest *socket
	for _, s := range sockets {
		if len(s.queued) > 0 && !s.isClosed() && (slowest == nil || s.since.Before(slowest.since)) {
			slowest = s
		}
	}
	return slowest
}

// badMessage 는 피어가 보낸 잘못된 메시지를 한 줄 남기고 센다. maxBadMessages 번째에는 연결을 닫는다.
func badMessage(ws *socket, err error) {
	ws.bad++
	log.Printf("Ignored message from %s: %v", ws.addr, err)
	if ws.bad >= maxBadMessages {
		ws.close(fmt.Errorf("%d bad messages", ws.bad))
	}
}

// dialPeer 는 new WebSocket(peer) 이다: 주소를 검사하고, 시간 제한 안에 TCP 로 연결해 웹소켓 핸드셰이크를 한다.
// 이미 연결한 피어, 한계를 넘는 연결, 이 노드 자신(isSelf 가 알아본다)에는 연결하지 않는다.
func dialPeer(peer string) (*socket, error) {
	config, err := websocket.NewConfig(peer, "http://localhost/")
	if err != nil {
		return nil, err
	}
	if config.Location.Scheme != "ws" || config.Location.Hostname() == "" {
		return nil, errors.New("want an address like ws://host:port")
	}
	mu.Lock()
	full := len(dialed)+dialing >= maxPeers // 연결한 피어와 연결하는 중인 피어를 함께 센다
	if !full {
		dialing++
	}
	mu.Unlock()
	if full {
		return nil, fmt.Errorf("skipped: already connected or connecting to %d peers", maxPeers)
	}
	d := net.Dialer{Timeout: dialTimeout}
	tcp, err := d.Dial("tcp", net.JoinHostPort(config.Location.Hostname(), cmp.Or(config.Location.Port(), "80")))
	var remote, local string
	mu.Lock()
	if dialing--; err == nil {
		remote, local = tcp.RemoteAddr().String(), tcp.LocalAddr().String()
		if dialed[remote] {
			err = errors.New("skipped: already connected to that peer")
			tcp.Close()
		} else {
			dialed[remote], ownEnds[local] = true, false
		}
	}
	mu.Unlock()
	if err != nil {
		return nil, err
	}
	tcp.SetDeadline(time.Now().Add(dialTimeout))
	conn, err := websocket.NewClient(config, eofConn{tcp})
	tcp.SetDeadline(time.Time{})
	mu.Lock()
	if ownEnds[local] {
		err = errors.New("skipped: that address is this node")
	}
	delete(ownEnds, local)
	if err != nil {
		delete(dialed, remote)
	}
	mu.Unlock()
	if err != nil {
		tcp.Close()
		return nil, err
	}
	return newSocket(conn, remote, peer), nil
}

// eofListener 와 eofConn 은 연결이 닫혀 읽기가 끝날 때 io.EOF 대신 errClosed 를 돌려준다. x/net/websocket 은 프레임 중간에서
// io.EOF 를 만나면 잘린 내용을 온전한 메시지처럼 넘기지만, 다른 에러면 메시지 대신 그 에러를 돌려준다.
type (
	eofListener struct{ net.Listener }
	eofConn     struct{ net.Conn }
)

// Accept 는 받은 연결을 eofConn 으로 감싼다.
func (l eofListener) Accept() (net.Conn, error) {
	conn, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return eofConn{conn}, nil
}

// Read 는 io.EOF 를 errClosed 로 바꾼다.
func (c eofConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if err == io.EOF {
		err = errClosed
	}
	return n, err
}
