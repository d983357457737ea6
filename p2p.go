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

// sockets 는 연결된 웹소켓들이다 (챕터의 var sockets = []). mu 가 지킨다.
// socket 의 생김새는 아래 「챕터에 없는 것」에 있다.
var sockets []*socket

// getSockets 는 연결된 소켓들을 돌려준다.
func getSockets() []*socket { return sockets }

// initP2PServer 는 웹소켓 서버를 열고, 연결이 들어올 때마다 initConnection 을 부른다.
func initP2PServer(host, port string) (*http.Server, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort(host, port))
	if err != nil {
		return nil, err
	}
	mu.Lock()
	ownP2PPort = ln.Addr().(*net.TCPAddr).Port
	mu.Unlock()
	// 챕터와 다른 점: 들어온 연결은 maxPeers 개까지만 받는다. 더 오는 연결은 자리가 날 때까지 기다리므로
	// 피어가 파일 디스크립터를 다 써 버려 HTTP API 가 멈추는 일이 없다.
	limited := netutil.LimitListener(ln, maxPeers)
	// 챕터와 다른 점: npm ws 는 Origin 헤더 없이 연결한다. websocket.Handler 는 그런 연결을 거절하므로
	// Origin 을 보지 않는 websocket.Server 를 쓴다 (Handshake 가 nil).
	server := websocket.Server{Handler: func(conn *websocket.Conn) {
		ws := newSocket(conn, conn.Request().RemoteAddr, "")
		mu.Lock()
		initConnection(ws) // server.on("connection", …)
		mu.Unlock()
		<-ws.closed // 이 함수가 돌아오면 연결이 닫히므로, 소켓이 닫힐 때까지 기다린다
	}}
	srv := &http.Server{Addr: ln.Addr().String(), Handler: server, ReadHeaderTimeout: dialTimeout}
	go srv.Serve(limited)
	log.Printf("Listening websocket p2p port on: %d", ownP2PPort)
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
// 챕터와 다른 점: Go 에는 ws.on("message", …) 가 없어, 메시지를 하나씩 읽는 고루틴을 띄운다.
// 챕터처럼 텍스트 프레임과 바이너리 프레임을 똑같이 JSON 으로 읽는다.
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
	// JSON.parse(data). RESPONSE_BLOCKCHAIN 이면 handleBlockchainResponse 의 JSON.parse(message.data) 도 여기서 한다.
	// 공유하는 것이 없는 일이라 mu 를 잡기 전에 한다: 큰 체인을 푸는 동안 HTTP 와 다른 소켓을 막지 않는다.
	// 챕터와 다른 점: JSON 이 아니거나 꼴이 틀린 메시지에 노드가 죽지 않는다. 로그를 남기고 나쁜 메시지로 센다.
	message, receivedBlocks, err := parseMessage(data)

	mu.Lock()
	defer mu.Unlock()
	if err != nil {
		badMessage(ws, err)
		return
	}
	// 챕터와 다른 점: 한 소켓에는 질의의 답을 하나씩만 대기열에 둔다. 앞선 답이 아직 나가지 않았으면 이 질의는
	// 기억해 두었다가 그 답이 나간 뒤에 답한다 (받아 가지 않는 피어가 답을 끝없이 쌓지 못하게).
	if message.Type != RESPONSE_BLOCKCHAIN && !mayReply(ws, message.Type) {
		return
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
// 실패하면 ws.close 가 ws.closed 를 한 번만 닫으므로, closeConnection 도 한 번만 불린다.
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
	// 챕터와 다른 점: 챕터는 ws.url 을 찍는데, 들어온 연결이면 undefined 이다. 들어온 연결은 상대의 "주소:포트" 를 찍는다.
	log.Println("Connection failed to peer: " + ws.name())
	// 챕터의 splice(indexOf(ws), 1) 는 ws 가 없으면(-1) 마지막 소켓을 지운다. 여기서는 한 번만 불리고, 그 소켓만 뺀다.
	sockets = slices.DeleteFunc(sockets, func(s *socket) bool { return s == ws })
	releaseSocket(ws)
}

// connectToPeers 는 받은 피어 주소마다 웹소켓을 열고, 열리면 initConnection 을 부른다.
func connectToPeers(newPeers []string) {
	for _, peer := range newPeers {
		go func() {
			ws, err := dialPeer(peer) // new WebSocket(peer)
			if err != nil {
				// 챕터와 다른 점: 어느 주소가 왜 실패했는지도 찍는다.
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
// 챕터와 다른 점: 챕터는 message 를 받아 JSON.parse(message.data) 를 여기서 한다. 여기서는 handleMessage 가
// 잠금 밖에서 미리 풀어 둔 블록들(적어도 하나, 모두 isValidBlockStructure 를 통과한 것)과 보낸 소켓을 받는다.
// 그래서 꼴이 틀린 블록은 index 를 견주기 전에 거절되고, 로그도 "Ignored message" 한 줄이다.
func handleBlockchainResponse(ws *socket, receivedBlocks []Block) {
	latestBlockReceived := receivedBlocks[len(receivedBlocks)-1]
	latestBlockHeld := getLatestBlock()
	// 챕터와 다른 점: 이 피어에게 물은 체인을 기다리는 동안 온, 붙일 수 없는 블록 하나짜리 알림은 로그 없이 넘긴다.
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
				// 챕터와 다른 점: 붙일 수 없는 블록은 나쁜 메시지로 센다.
				badMessage(ws, errors.New("a block that does not fit on our chain"))
			}
		} else if len(receivedBlocks) == 1 {
			// 블록 하나만 받았는데 붙일 수 없다: 사이의 블록들을 놓쳤으니 체인 전체를 묻는다.
			log.Println("We have to query the chain from our peer")
			// 챕터와 다른 점: 챕터는 broadcast(queryAllMsg()) 로 모든 피어에게 묻는다. 그러면 가짜 블록 하나로
			// 모든 이웃이 체인 전체를 보내게 되어, 가짜 블록을 보낸 피어 하나가 이웃 사이를 끊을 수 있다.
			// 여기서는 그 블록을 보낸 피어에게만, 답을 받기 전에는 다시 묻지 않는다.
			ws.askedAll = true
			write(ws, queryAllMsg())
		} else {
			// 여러 블록(체인 전체)을 받았다: 더 길고 올바르면 바꾼다.
			log.Println("Received blockchain is longer than current blockchain")
			if !replaceChain(receivedBlocks) {
				// 챕터와 다른 점: 올바르지 않은 체인은 나쁜 메시지로 센다.
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
// ws.send 처럼 보낼 것을 소켓의 대기열에 넣기만 하고 돌아온다. 보내는 일은 소켓마다 하나인 쓰기 고루틴이 한다.
func write(ws *socket, message Message) {
	// 한 소켓에 쓰는 RESPONSE_BLOCKCHAIN 은 언제나 질의에 대한 답이다 (알림은 broadcast 가 보낸다).
	enqueue(ws, stringify(message), message.Type == RESPONSE_BLOCKCHAIN)
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

// 챕터와 다른 점: 믿을 수 없는 피어를 위한 한계들 (README 의 「지키는 한계」).
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

// socket 은 연결된 웹소켓 하나이다 (챕터의 ws). 아래의 값들은 mu 가 지킨다.
type socket struct {
	conn *websocket.Conn
	addr string // "remoteAddress:remotePort": GET /peers 에 보이는 값
	url  string // 우리가 연결한 피어면 그 주소(ws.url), 들어온 연결이면 ""

	queue       chan outgoing // ws.send 의 대기열: writeLoop 가 넣은 차례대로 보낸다
	closed      chan struct{} // 소켓이 닫히면 닫힌다 (close 가 한 번만 닫는다)
	once        sync.Once
	queuedBytes int         // 대기열에 있는 바이트 수
	replying    bool        // 질의에 대한 답이 대기열에 있다
	replySince  time.Time   // 그 답을 대기열에 넣은 때
	later       MessageType // 그 답이 나간 뒤에 답할 질의 (없으면 -1)
	askedAll    bool        // 이 피어에게 QUERY_ALL 을 보내고 체인을 기다린다
	bad         int         // 이 피어가 보낸 나쁜 메시지 수
}

// outgoing 은 대기열의 한 칸이다: 보낼 프레임과, 그것이 질의에 대한 답인지.
type outgoing struct {
	frame []byte
	reply bool
}

var (
	replyBytes int                             // 모든 소켓의 대기열에 있는 답의 바이트 수 (mu 가 지킨다)
	ownP2PPort int                             // 이 노드의 P2P 포트: 자기 자신에게 연결하지 않도록 (mu 가 지킨다)
	dialed     = map[string]bool{}             // 우리가 연결한 피어의 "주소:포트" (mu 가 지킨다)
	dialSlots  = make(chan struct{}, maxDials) // 연결을 시도하는 고루틴마다 한 칸
)

// newSocket 은 연결 하나로 소켓을 만들고, 대기열을 보내는 쓰기 고루틴을 띄운다.
func newSocket(conn *websocket.Conn, addr, url string) *socket {
	conn.MaxPayloadBytes = maxFrameBytes
	ws := &socket{conn: conn, addr: addr, url: url, queue: make(chan outgoing, maxQueued), closed: make(chan struct{}), later: -1}
	go writeLoop(ws)
	return ws
}

// name 은 로그에 찍을 소켓의 이름이다: 우리가 연결한 피어면 그 주소, 들어온 연결이면 "주소:포트".
func (ws *socket) name() string { return cmp.Or(ws.url, ws.addr) }

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

// enqueue 는 프레임을 소켓의 대기열에 넣는다. 대기열이 한계를 넘으면 받아 가지 못하는 느린 피어로 보고 연결을 닫는다.
func enqueue(ws *socket, frame []byte, reply bool) {
	if ws.isClosed() {
		return // closeConnection 이 대기열을 비웠거나 곧 비운다
	}
	out := outgoing{frame, reply}
	ws.queuedBytes += len(frame)
	if reply {
		replyBytes += len(frame)
	}
	select {
	case ws.queue <- out:
		if ws.queuedBytes > maxQueuedBytes {
			ws.close(fmt.Errorf("peer too slow: more than %d MiB waiting to be sent", maxQueuedBytes>>20))
		}
	default:
		dequeued(ws, out)
		ws.close(fmt.Errorf("peer too slow: %d messages waiting to be sent", maxQueued))
	}
}

// dequeued 는 대기열에서 나간(보냈거나 버린) 프레임을 센 값에서 뺀다.
func dequeued(ws *socket, out outgoing) {
	ws.queuedBytes -= len(out.frame)
	if out.reply {
		replyBytes -= len(out.frame)
		ws.replying = false
	}
}

// writeLoop 는 소켓의 대기열에 들어온 프레임을 차례로 하나씩 보낸다. 그래서 알림은 체인 순서대로 나간다.
// 보내는 동안에는 mu 를 잡지 않고, 센 값을 줄일 때만 잡는다.
func writeLoop(ws *socket) {
	for {
		select {
		case out := <-ws.queue:
			var err error
			if !ws.isClosed() { // 닫힌 뒤에는 보내지 않는다 (아래 시간 제한이 닫을 때 건 제한을 덮지 않도록)
				ws.conn.SetWriteDeadline(time.Now().Add(writeTimeout))
				_, err = ws.conn.Write(out.frame) // 텍스트 프레임 하나
			}
			mu.Lock()
			dequeued(ws, out)
			if query := ws.later; out.reply && query >= 0 {
				ws.later = -1
				answerLater(ws, query)
			}
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

// mayReply 는 ws 의 질의에 지금 답해도 되는지 알려주고, 된다면 답하는 중으로 적는다. 앞선 답이 아직 대기열에 있으면
// 질의를 ws.later 에 기억한다 (QUERY_ALL 의 답인 체인 전체는 QUERY_LATEST 에도 답하므로 QUERY_ALL 이 앞선다).
func mayReply(ws *socket, query MessageType) bool {
	if ws.replying {
		ws.later = max(ws.later, query)
		return false
	}
	size := 0
	if query == QUERY_ALL {
		size = len(chainJSON())
	}
	if size > maxFrameBytes {
		log.Printf("Not answering %s: the chain (%d MiB) is larger than one frame", ws.name(), size>>20)
		return false
	}
	if replyBytes+size > maxReplyBytes {
		// 기다리는 답들이 한계를 넘는다: 답을 가장 오래 받아 가지 않은 소켓을 느린 피어로 보고 닫아 자리를 만든다.
		var slowest *socket
		for _, s := range sockets {
			if s.replying && !s.isClosed() && (slowest == nil || s.replySince.Before(slowest.replySince)) {
				slowest = s
			}
		}
		if slowest == nil {
			log.Printf("Not answering %s: %d MiB of answers wait to be sent", ws.name(), replyBytes>>20)
			return false
		}
		slowest.close(errors.New("peer too slow: its answer waited longest while answers were over the limit"))
	}
	ws.replying, ws.replySince = true, time.Now()
	return true
}

// answerLater 는 기억해 둔 질의에 지금의 체인으로 답한다 (handleMessage 의 switch 와 같은 답).
func answerLater(ws *socket, query MessageType) {
	if ws.isClosed() || !mayReply(ws, query) {
		return
	}
	if query == QUERY_ALL {
		write(ws, responseChainMsg())
	} else {
		write(ws, responseLatestMsg())
	}
}

// waitingForChain 은 ws 에게 물은 체인을 기다리는 중에 온, 붙일 수 없는 블록 하나짜리 알림인지 알려준다.
// 그런 알림은 기다리는 체인이 답하므로 다시 묻지 않는다. 블록 여럿(체인)이 오면 기다림이 끝난다.
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
func parseMessage(data []byte) (Message, []Block, error) {
	message := Message{Type: -1} // type 이 빠진 메시지가 0(QUERY_LATEST)으로 읽히지 않도록
	if err := json.Unmarshal(data, &message); err != nil {
		return message, nil, err
	}
	switch message.Type {
	case QUERY_LATEST, QUERY_ALL:
		return message, nil, nil
	case RESPONSE_BLOCKCHAIN:
		if message.Data == nil {
			return message, nil, errors.New("RESPONSE_BLOCKCHAIN: data is not a string")
		}
		blocks, err := decodeBlocks(*message.Data)
		if err != nil {
			return message, nil, fmt.Errorf("RESPONSE_BLOCKCHAIN: %v", err)
		}
		return message, blocks, nil
	}
	return message, nil, fmt.Errorf("unknown type %d", message.Type)
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
