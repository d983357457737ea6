// p2p.go 는 챕터 2 를 옮긴 것이다: 웹소켓, 메시지, 브로드캐스트, handleBlockchainResponse.
package main

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"

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
}

// sockets 는 연결된 웹소켓들이다 (챕터의 var sockets = []). blockchain 처럼 mu 가 지킨다(chain.go 의 규칙):
// 이 파일의 챕터 함수들은 모두 mu 를 잡은 쪽이 부른다.
var sockets []*socket

// socket 은 연결된 웹소켓 하나이다 (챕터의 ws). ws.send 는 보낼 것을 대기열에 넣기만 하고 Node 가 차례로 보낸다.
// Go 에서는 소켓마다 대기열(채널) 하나와 그것을 보내는 쓰기 고루틴(writeLoop) 하나가 그 일을 한다.
type socket struct {
	conn     *websocket.Conn
	addr     string        // "remoteAddress:remotePort": GET /peers 에 보이는 값
	url      string        // 우리가 연결한 피어면 그 주소(ws.url), 들어온 연결이면 ""
	queue    chan outgoing // ws.send 의 대기열: 넣은 차례대로 writeLoop 가 하나씩 보낸다
	closed   chan struct{} // 소켓이 닫히면 닫힌다 (close 가 once 로 한 번만 닫는다)
	once     sync.Once
	counters // 한계를 지키려고 세는 값들 (아래 「챕터에 없는 것」)
}

// getSockets 는 연결된 소켓들을 돌려준다.
func getSockets() []*socket { return sockets }

// initP2PServer 는 웹소켓 서버를 열고, 연결이 들어올 때마다 initConnection 을 부른다.
func initP2PServer(host, port string) (*http.Server, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort(host, port))
	if err != nil {
		return nil, err
	}
	p2pPort := ln.Addr().(*net.TCPAddr).Port
	mu.Lock()
	ownP2PPort = p2pPort // 자기 자신에게 연결하지 않도록 dialPeer 가 본다
	mu.Unlock()
	// 챕터와 다른 점: 들어온 연결은 maxPeers 개까지만 받는다. 더 오는 연결은 자리가 날 때까지 기다린다
	// (연결이 너무 많아 HTTP API 가 새 연결을 받지 못하는 일이 없도록).
	limited := netutil.LimitListener(ln, maxPeers)
	// npm ws 는 Origin 헤더 없이 연결한다. websocket.Handler 는 그런 연결을 거절하므로, Origin 을 검사하는
	// Handshake 함수를 비워 둔 websocket.Server 로 받는다.
	server := websocket.Server{Handler: func(conn *websocket.Conn) {
		ws := newSocket(conn, conn.Request().RemoteAddr, "")
		mu.Lock()
		initConnection(ws) // server.on("connection", …)
		mu.Unlock()
		<-ws.closed // 이 함수가 돌아오면 연결이 닫히므로, 소켓이 닫힐 때까지 기다린다
	}}
	srv := &http.Server{Addr: ln.Addr().String(), Handler: server, ReadHeaderTimeout: dialTimeout}
	go srv.Serve(limited)
	log.Printf("Listening websocket p2p port on: %d", p2pPort)
	return srv, nil
}

// initConnection 은 새 연결을 sockets 에 넣고, 핸들러들을 붙이고, 상대에게 최신 블록을 묻는다.
func initConnection(ws *socket) {
	sockets = append(sockets, ws)    // sockets.push(ws)
	initMessageHandler(ws)           // 메시지가 오면 처리한다
	initErrorHandler(ws)             // 닫히거나 에러가 나면 closeConnection
	write(ws, queryChainLengthMsg()) // 상대의 최신 블록을 묻는다
}

// initMessageHandler 는 소켓에 메시지가 올 때마다 handleMessage 로 처리한다.
// Go 에는 ws.on("message", …) 가 없어, 메시지를 하나씩 읽는 고루틴을 띄운다. 챕터처럼 텍스트 프레임과
// 바이너리 프레임을 똑같이 JSON 으로 읽는다.
func initMessageHandler(ws *socket) {
	go func() {
		for {
			var data []byte
			err := websocket.Message.Receive(ws.conn, &data)
			if errors.Is(err, websocket.ErrFrameTooLarge) {
				err = fmt.Errorf("frame larger than %d bytes", maxFrameBytes)
			}
			if err != nil {
				ws.close(err)
				return
			}
			handleMessage(ws, data)
		}
	}()
}

// handleMessage 는 ws.on("message", function (data) {…}) 의 몸통이다: 메시지를 풀어 종류에 따라 처리한다.
func handleMessage(ws *socket, data []byte) {
	// const message = JSON.parse(data). 블록 배열(message.data)도 여기서 푼다: 공유하는 것이 없는 일이라
	// mu 를 잡기 전에 해서, 큰 체인을 푸는 동안 HTTP 와 다른 소켓을 막지 않는다.
	message, receivedBlocks, err := parseMessage(data)

	mu.Lock()
	defer mu.Unlock()
	if err != nil {
		// 챕터와 다른 점: JSON 이 아니거나 형식이 틀리거나 type 을 모르는 메시지에 챕터의 노드는 죽거나(예외)
		// 조용히 넘어간다. 여기서는 한 줄 남기고 나쁜 메시지로 센다 (badMessage).
		badMessage(ws, err)
		return
	}
	if message.Type != RESPONSE_BLOCKCHAIN && !mayReply(ws, message.Type) {
		return // 챕터와 다른 점: 앞선 답이 아직 대기열에 있으면 이 질의에는 답하지 않는다 (mayReply)
	}
	switch message.Type {
	case QUERY_LATEST:
		write(ws, responseLatestMsg())
	case QUERY_ALL:
		write(ws, responseChainMsg())
	case RESPONSE_BLOCKCHAIN:
		handleBlockchainResponse(ws, receivedBlocks)
	}
}

// initErrorHandler 는 소켓이 닫히거나 에러가 나면 closeConnection 을 부른다 (ws.on("close"), ws.on("error")).
// 챕터와 다른 점: 챕터는 close 와 error 가 둘 다 오면 closeConnection 을 두 번 부른다. 여기서는 읽기나 쓰기가
// 실패하면 ws.close 가 ws.closed 를 한 번만 닫으므로 closeConnection 도 한 번만 불리고, 그 소켓만 뺀다.
func initErrorHandler(ws *socket) {
	go func() {
		<-ws.closed
		mu.Lock()
		closeConnection(ws)
		mu.Unlock()
		ws.conn.Close() // 닫는 프레임을 보내느라 기다릴 수 있으므로 mu 를 놓은 뒤에 닫는다
	}()
}

// closeConnection 은 닫힌 소켓을 sockets 에서 뺀다.
func closeConnection(ws *socket) {
	// 챕터와 다른 점: 챕터는 ws.url 을 찍는데, 들어온 연결이면 undefined 이다. 여기서는 상대의 "주소:포트" 를 찍는다.
	log.Println("Connection failed to peer: " + cmp.Or(ws.url, ws.addr))
	sockets = slices.DeleteFunc(sockets, func(s *socket) bool { return s == ws }) // sockets.splice(sockets.indexOf(ws), 1)
	releaseSocket(ws)
}

// connectToPeers 는 받은 피어 주소마다 웹소켓을 열고, 열리면 initConnection 을 부른다.
// 연결은 고루틴이 하므로 기다리지 않고 돌아온다. 고루틴은 부른 쪽이 mu 를 놓은 뒤에 mu 를 잡는다.
func connectToPeers(newPeers []string) {
	for _, peer := range newPeers {
		go func() {
			ws, err := dialPeer(peer) // new WebSocket(peer)
			if err != nil {
				// 챕터와 다른 점: 어느 주소가 왜 실패했는지도 찍는다. ws:// 가 아닌 주소, 이 노드 자신, 이미 연결한 피어에는
				// 연결하지 않는다 (챕터는 잘못된 주소에 예외를 던져 /addPeers 가 500 으로 끝난다).
				log.Printf("Connection failed: %s: %v", peer, err) // ws.on("error", …)
				return
			}
			mu.Lock()
			initConnection(ws) // ws.on("open", …)
			mu.Unlock()
		}()
	}
}

// handleBlockchainResponse 는 받은 블록들을 보고 내 체인에 붙일지, 체인 전체를 물을지, 체인을 바꿀지 정한다.
// 챕터와 다른 점: 챕터는 message 를 받아 여기서 JSON.parse(message.data) 를 한다. 여기서는 handleMessage 가 미리 푼
// 블록들(적어도 하나, 모두 isValidBlockStructure 를 통과한 것)과 보낸 소켓을 받는다. 그래서 형식이 틀린 블록은
// index 를 견주기 전에 거절되고, 로그도 "Ignored message from …" 한 줄이다.
func handleBlockchainResponse(ws *socket, receivedBlocks []Block) {
	latestBlockReceived := receivedBlocks[len(receivedBlocks)-1]
	latestBlockHeld := getLatestBlock()
	// 챕터와 다른 점: 이 피어에게 물은 체인을 기다리는 동안 그 피어가 보낸, 붙일 수 없는 블록 하나짜리 알림은 로그 없이 넘긴다.
	if waitingForChain(ws, receivedBlocks, latestBlockHeld) {
		return
	}

	if latestBlockReceived.Header.Index > latestBlockHeld.Header.Index {
		log.Printf("Blockchain possibly behind. We got: %d,  Peer got: %d",
			latestBlockHeld.Header.Index, latestBlockReceived.Header.Index)
		if calculateHashForBlock(latestBlockHeld) == latestBlockReceived.Header.PreviousHash {
			// 받은 블록이 내 마지막 블록을 가리킨다: 바로 붙인다.
			log.Println("We can append the received block to our chain")
			if addBlock(latestBlockReceived) {
				broadcast(responseLatestMsg())
			} else {
				// 챕터와 다른 점: 붙일 수 없는 블록은 나쁜 메시지로 센다 (다섯 번째면 연결을 닫는다).
				badMessage(ws, errors.New("a block that does not fit on our chain"))
			}
		} else if len(receivedBlocks) == 1 {
			// 블록 하나만 받았는데 붙일 수 없다: 사이의 블록들을 놓쳤으니 체인 전체를 묻는다.
			log.Println("We have to query the chain from our peer")
			// 챕터와 다른 점: 챕터는 broadcast(queryAllMsg()) 로 모든 피어에게 묻는다. 그러면 가짜 블록을 보내는 피어 하나가
			// 정직한 이웃들이 체인 전체를 거듭 보내게 만들어, 대기열이 넘친 이웃들이 이 노드와의 연결을 끊는다.
			// 여기서는 그 블록을 보낸 피어에게만, 답이 오기 전에는 다시 묻지 않는다.
			ws.askedAll = true
			write(ws, queryAllMsg())
		} else {
			// 여러 블록(체인 전체)을 받았다: 더 길고 올바르면 바꾼다.
			log.Println("Received blockchain is longer than current blockchain")
			if !replaceChain(receivedBlocks) {
				// 챕터와 다른 점: 올바르지 않은 체인은 나쁜 메시지로 센다 (다섯 번째면 연결을 닫는다).
				badMessage(ws, errors.New("an invalid chain"))
			}
		}
	} else {
		log.Println("Received blockchain is not longer than current blockchain. Do nothing")
	}
}

// queryAllMsg 는 상대의 블록체인 전체를 달라는 질의이다 (data 는 없다).
func queryAllMsg() Message {
	return Message{Type: QUERY_ALL, Data: nil}
}

// queryChainLengthMsg 는 상대의 최신 블록을 달라는 질의이다 (이름과 달리 길이가 아니라 최신 블록을 묻는다).
func queryChainLengthMsg() Message {
	return Message{Type: QUERY_LATEST, Data: nil}
}

// responseChainMsg 는 내 블록체인 전체를 JSON 문자열로 담은 응답이다.
// 노트와 다른 점: 노트의 JSON.stringify([getBlockchain()]) 는 체인을 배열로 한 번 더 감싼다. 챕터처럼 체인 자체를 보낸다.
func responseChainMsg() Message {
	data := chainJSON() // JSON.stringify(getBlockchain())
	return Message{Type: RESPONSE_BLOCKCHAIN, Data: &data}
}

// responseLatestMsg 는 내 최신 블록 하나를 배열에 담아 JSON 문자열로 만든 응답이다.
func responseLatestMsg() Message {
	data := string(stringify([]Block{getLatestBlock()}))
	return Message{Type: RESPONSE_BLOCKCHAIN, Data: &data}
}

// write 는 메시지를 JSON 문자열로 바꿔 그 소켓으로 보낸다 (ws.send(JSON.stringify(message))).
// ws.send 처럼 소켓의 대기열에 넣기만 하고 돌아온다. 대기열은 그 소켓의 쓰기 고루틴(writeLoop)이 차례로 보낸다.
func write(ws *socket, message Message) {
	isAnswer := message.Type == RESPONSE_BLOCKCHAIN // 한 소켓에 쓰는 RESPONSE_BLOCKCHAIN 은 질의에 대한 답이다
	enqueue(ws, stringify(message), isAnswer)
}

// broadcast 는 연결된 모든 소켓(들어온 것과 나간 것 모두)에 메시지를 보낸다.
func broadcast(message Message) {
	// 챕터는 소켓마다 write 로 JSON.stringify 를 한다. 여기서는 한 번만 바꾸고 같은 바이트를 모든 대기열에 넣는다.
	frame := stringify(message)
	for _, socket := range sockets {
		enqueue(socket, frame, false) // write(socket, message)
	}
}

// mineBlock 은 blockData 로 새 블록을 생성해 체인에 붙이고, 성공하면 모든 피어에게 알린다. 실패하면 nil 이다.
func mineBlock(blockData []string) *Block {
	newBlock := generateNextBlock(blockData)

	if addBlock(newBlock) {
		broadcast(responseLatestMsg())
		return &newBlock
	}
	return nil
}

// ---- 챕터에 없는 것 ----

// 챕터와 다른 점: 믿을 수 없는 피어를 위한 한계들 (README 의 「지키는 한계」). 챕터에는 한계가 없다.
const (
	maxPeers       = 64               // 들어온 연결 수, 나간 연결 수, /addPeers 요청 하나의 주소 수의 한계
	maxDials       = 16               // 동시에 연결을 시도하는 피어 수의 한계
	maxFrameBytes  = 64 << 20         // 받는 프레임 하나의 최대 크기 (짧은 데이터의 블록 10만 개 체인이 약 27 MiB)
	maxQueued      = 1024             // 한 소켓의 대기열에 기다리는 메시지 수의 한계
	maxQueuedBytes = 128 << 20        // 한 소켓의 대기열에 기다리는 바이트 수의 한계
	maxBadMessages = 5                // 한 피어가 보낸 나쁜 메시지가 이만큼이면 연결을 닫는다
	writeTimeout   = 30 * time.Second // 프레임 하나를 보내는 최대 시간
	dialTimeout    = 5 * time.Second  // 피어에 연결하고 웹소켓 핸드셰이크를 마치는 최대 시간
)

// maxReplyBytes 는 모든 소켓의 대기열에 기다리는 답(질의에 대한 RESPONSE_BLOCKCHAIN)의 바이트 수의 한계이다.
// 상수가 아닌 까닭: 테스트가 작은 값으로 바꿔 한계를 넘겨 본다.
var maxReplyBytes = 256 << 20

// counters 는 socket 이 한계를 지키려고 세는 값들이다. mu 가 지킨다.
type counters struct {
	queuedBytes int         // 대기열에 있는 바이트 수
	replying    MessageType // 대기열에 답이 있는 질의 (QUERY_LATEST 나 QUERY_ALL, 없으면 -1)
	replySince  time.Time   // 그 답을 대기열에 넣은 때
	askedAll    bool        // 이 피어에게 QUERY_ALL 을 보내고 체인을 기다린다
	bad         int         // 이 피어가 보낸 나쁜 메시지 수
}

// outgoing 은 대기열의 한 칸이다: 보낼 프레임과, 그것이 질의에 대한 답인지.
type outgoing struct {
	frame  []byte
	answer bool
}

var (
	replyBytes int                             // 모든 소켓의 대기열에 있는 답의 바이트 수 (mu 가 지킨다)
	ownP2PPort int                             // 이 노드의 P2P 포트 (mu 가 지킨다)
	dialed     = map[string]bool{}             // 우리가 연결한 피어의 "주소:포트" (mu 가 지킨다)
	dialSlots  = make(chan struct{}, maxDials) // 연결을 시도하는 고루틴마다 한 칸
)

// newSocket 은 연결 하나로 소켓을 만들고, 대기열을 보내는 쓰기 고루틴을 띄운다.
func newSocket(conn *websocket.Conn, addr, url string) *socket {
	conn.MaxPayloadBytes = maxFrameBytes
	ws := &socket{conn: conn, addr: addr, url: url, queue: make(chan outgoing, maxQueued), closed: make(chan struct{})}
	ws.replying = -1
	go writeLoop(ws)
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

// close 는 소켓이 실패한 까닭을 한 줄 남기고 ws.closed 를 닫는다. 처음 한 번만 효과가 있고, 기다리는 일이 없다.
// 챕터와 다른 점: 챕터는 연결이 닫힌 까닭을 찍지 않는다.
func (ws *socket) close(reason error) {
	ws.once.Do(func() {
		log.Printf("Closing connection to %s: %v", ws.addr, reason)
		ws.conn.SetDeadline(time.Now()) // 막혀 있는 읽기와 쓰기를 바로 끝낸다
		close(ws.closed)
	})
}

// enqueue 는 프레임을 소켓의 대기열에 넣는다.
// 챕터와 다른 점: 대기열이 maxQueued 개나 maxQueuedBytes 를 넘으면 받아 가지 못하는 느린 피어로 보고 연결을 닫는다.
// 닫힌 소켓에 보내는 것은 버린다 (챕터의 ws.send 는 예외를 던진다).
func enqueue(ws *socket, frame []byte, answer bool) {
	if ws.isClosed() {
		return
	}
	select {
	case ws.queue <- outgoing{frame, answer}:
		ws.queuedBytes += len(frame)
		if answer {
			replyBytes += len(frame)
		}
		if ws.queuedBytes > maxQueuedBytes {
			ws.close(fmt.Errorf("peer too slow: more than %d MiB waiting to be sent", maxQueuedBytes>>20))
		}
	default:
		ws.close(fmt.Errorf("peer too slow: %d messages waiting to be sent", maxQueued))
	}
}

// dequeued 는 대기열에서 나간(보냈거나 버린) 프레임을 센 값에서 뺀다.
func dequeued(ws *socket, out outgoing) {
	ws.queuedBytes -= len(out.frame)
	if out.answer {
		replyBytes -= len(out.frame)
		ws.replying = -1
	}
}

// writeLoop 는 소켓의 대기열에 들어온 프레임을 차례로 하나씩 보낸다. 그래서 알림은 체인 순서대로 나간다.
// 보내는 동안에는 mu 를 잡지 않고, 센 값을 줄일 때만 잡는다.
func writeLoop(ws *socket) {
	for {
		select {
		case out := <-ws.queue:
			var err error
			if !ws.isClosed() { // 닫힌 뒤에는 보내지 않는다: 새 시간 제한이 close 가 건 "지금" 제한을 덮어쓰지 않도록
				ws.conn.SetWriteDeadline(time.Now().Add(writeTimeout))
				_, err = ws.conn.Write(out.frame) // 텍스트 프레임 하나
			}
			mu.Lock()
			dequeued(ws, out)
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

// releaseSocket 은 닫힌 소켓의 대기열에 남은 몫을 센 값에서 빼고, 그 피어에 다시 연결할 수 있게 한다.
func releaseSocket(ws *socket) {
	if ws.url != "" {
		delete(dialed, ws.addr)
	}
	for {
		select {
		case out := <-ws.queue:
			dequeued(ws, out)
		default:
			return
		}
	}
}

// mayReply 는 ws 의 질의(query)에 지금 답해도 되는지 알려주고, 된다면 그 질의에 답하는 중으로 적는다.
// 챕터와 다른 점: 한 소켓의 대기열에는 같은 질의의 답을 하나만 둔다. 체인 전체(QUERY_ALL 의 답)는 최신 블록도 담으므로,
// QUERY_ALL(1) 의 답이 있으면 QUERY_LATEST(0) 에도 답한 셈이다: 그래서 replying >= query 이면 답하지 않는다.
// 모든 소켓의 답이 maxReplyBytes 를 넘게 되면 답을 가장 오래 받아 가지 않은 소켓을 느린 피어로 보고 닫는다.
func mayReply(ws *socket, query MessageType) bool {
	if ws.replying >= query {
		return false
	}
	size := 0
	if query == QUERY_ALL {
		size = len(chainJSON())
	}
	if replyBytes+size > maxReplyBytes {
		var slowest *socket
		for _, s := range sockets {
			if s.replying >= 0 && !s.isClosed() && (slowest == nil || s.replySince.Before(slowest.replySince)) {
				slowest = s
			}
		}
		if slowest == nil {
			log.Printf("Not answering %s: %d MiB of answers wait to be sent", ws.addr, replyBytes>>20)
			return false
		}
		slowest.close(errors.New("peer too slow: its answer waited longest while answers were over the limit"))
	}
	ws.replying, ws.replySince = query, time.Now()
	return true
}

// waitingForChain 은 ws 에게 물은 체인을 아직 기다리는데 ws 가 또 붙일 수 없는 블록 하나를 보냈는지 알려준다.
// 그 블록은 곧 올 체인에 들어 있으므로 다시 묻지 않는다. 블록 여럿(체인)이 오면 기다림이 끝난다.
func waitingForChain(ws *socket, receivedBlocks []Block, latestBlockHeld Block) bool {
	if len(receivedBlocks) > 1 {
		ws.askedAll = false
		return false
	}
	received := receivedBlocks[0].Header
	return ws.askedAll && received.Index > latestBlockHeld.Header.Index &&
		received.PreviousHash != calculateHashForBlock(latestBlockHeld)
}

// badMessage 는 피어가 보낸 나쁜 메시지를 한 줄 남기고 센다. maxBadMessages 번째에는 연결을 닫는다.
func badMessage(ws *socket, err error) {
	ws.bad++
	log.Printf("Ignored message from %s: %v", ws.addr, err)
	if ws.bad >= maxBadMessages {
		ws.close(fmt.Errorf("%d bad messages", ws.bad))
	}
}

// parseMessage 는 받은 프레임을 Message 로 풀고, RESPONSE_BLOCKCHAIN 이면 data 의 블록 배열도 푼다.
func parseMessage(data []byte) (message Message, blocks []Block, err error) {
	message.Type = -1 // type 이 빠진 메시지가 0(QUERY_LATEST)으로 읽히지 않도록
	if err = json.Unmarshal(data, &message); err != nil {
		return
	}
	switch message.Type {
	case QUERY_LATEST, QUERY_ALL:
	case RESPONSE_BLOCKCHAIN:
		if blocks, err = decodeBlocks(message.Data); err != nil {
			err = fmt.Errorf("RESPONSE_BLOCKCHAIN: %v", err)
		}
	default:
		err = fmt.Errorf("unknown type %d", message.Type)
	}
	return
}

// dialPeer 는 new WebSocket(peer) 이다: 주소를 검사하고, 시간 제한 안에 TCP 로 연결해 웹소켓 핸드셰이크를 한다.
// 자기 자신(상대가 같은 IP 의 우리 P2P 포트), 이미 연결한 피어, 한계를 넘는 연결에는 연결하지 않는다.
func dialPeer(peer string) (*socket, error) {
	config, err := websocket.NewConfig(peer, "http://localhost/")
	if err != nil {
		return nil, err
	}
	if config.Location.Scheme != "ws" || config.Location.Hostname() == "" {
		return nil, errors.New("want an address like ws://host:port")
	}
	select {
	case dialSlots <- struct{}{}:
		defer func() { <-dialSlots }()
	default:
		return nil, fmt.Errorf("skipped: already dialing %d peers", maxDials)
	}
	d := net.Dialer{Timeout: dialTimeout}
	tcp, err := d.Dial("tcp", net.JoinHostPort(config.Location.Hostname(), cmp.Or(config.Location.Port(), "80")))
	if err != nil {
		return nil, err
	}
	remote, local := tcp.RemoteAddr().(*net.TCPAddr), tcp.LocalAddr().(*net.TCPAddr)
	mu.Lock()
	switch {
	case remote.Port == ownP2PPort && remote.IP.Equal(local.IP):
		err = errors.New("skipped: that address is this node")
	case dialed[remote.String()]:
		err = errors.New("skipped: already connected to that peer")
	case len(dialed) >= maxPeers:
		err = fmt.Errorf("skipped: already connected to %d peers", maxPeers)
	default:
		dialed[remote.String()] = true
	}
	mu.Unlock()
	if err != nil {
		tcp.Close()
		return nil, err
	}
	tcp.SetDeadline(time.Now().Add(dialTimeout))
	conn, err := websocket.NewClient(config, tcp)
	if err != nil {
		tcp.Close()
		mu.Lock()
		delete(dialed, remote.String())
		mu.Unlock()
		return nil, err
	}
	tcp.SetDeadline(time.Time{})
	return newSocket(conn, remote.String(), peer), nil
}
