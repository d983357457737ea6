// p2p.go 는 챕터 2 를 옮긴 것이다: 웹소켓, 메시지, 브로드캐스트, handleBlockchainResponse.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/net/websocket"
)

// MessageType 은 메시지의 종류이다 (챕터의 MessageType, 노트의 MassgeType).
type MessageType int

// 챕터의 세 메시지 종류.
const (
	QUERY_LATEST        MessageType = 0
	QUERY_ALL           MessageType = 1
	RESPONSE_BLOCKCHAIN MessageType = 2
)

// Message 는 웹소켓 텍스트 프레임 하나에 담기는 {"type":T,"data":D} 이다. data 는 null 이거나 문자열이다.
type Message struct {
	Type MessageType `json:"type"`
	Data *string     `json:"data"`
}

// 챕터와 다른 점: 믿을 수 없는 피어를 위한 한계들.
const (
	maxFrameBytes  = 64 << 20         // 받는 프레임 하나의 최대 크기: 블록 10만 개짜리 체인(약 27 MiB)이 넉넉히 들어간다
	maxQueued      = 1024             // 한 소켓에 보낼 차례를 기다리는 메시지 수의 한계
	maxQueuedBytes = 128 << 20        // 한 소켓에 보낼 차례를 기다리는 바이트 수의 한계
	writeTimeout   = 30 * time.Second // 프레임 하나를 보내는 데 기다리는 최대 시간
	dialTimeout    = 5 * time.Second  // 피어에 연결하고 핸드셰이크를 마치는 최대 시간
)

// socket 은 연결된 웹소켓 하나이다. 보낼 메시지는 outbox 에 줄을 서고, 소켓마다 하나인 쓰기 고루틴이 차례로 보낸다.
// 챕터와 다른 점: 챕터의 ws.send 는 이벤트 루프가 차례로 보낸다. Go 에서는 이 줄이 그 차례를 지킨다.
type socket struct {
	conn   *websocket.Conn
	addr   string // "remoteAddress:remotePort" (GET /peers 에 보이는 값)
	url    string // 우리가 연결한 피어의 주소, 들어온 연결이면 ""
	outbox chan []byte
	queued atomic.Int64 // outbox 에 있는 바이트 수
	closed chan struct{}
	once   sync.Once
}

// 챕터와 다른 점: 챕터의 var sockets = [] 처럼 전역 배열이지만, 여러 고루틴이 쓰므로 잠금으로 지킨다.
var (
	socketsMu sync.Mutex // protects sockets and outbound
	sockets   []*socket
	outbound  = map[string]bool{} // 우리가 연결한(또는 연결 중인) 피어의 "주소:포트": 같은 피어에 두 번 연결하지 않는다
)

// p2pAddr 는 이 노드의 P2P 서버가 듣는 주소이다. 자기 자신에게 연결하지 않도록 claimPeer 가 본다.
var p2pAddr atomic.Pointer[net.TCPAddr]

// initP2PServer 는 웹소켓 서버를 열고 들어오는 연결마다 initConnection 을 부른다.
func initP2PServer(host, port string) (*http.Server, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort(host, port))
	if err != nil {
		return nil, err
	}
	p2pAddr.Store(ln.Addr().(*net.TCPAddr))
	// 챕터와 다른 점: npm ws 는 Origin 헤더 없이 연결한다. websocket.Handler 는 그런 연결을 거절하므로
	// Origin 을 검사하지 않는 websocket.Server 를 쓴다 (Handshake 가 nil).
	server := websocket.Server{Handler: func(conn *websocket.Conn) {
		initConnection(conn, conn.Request().RemoteAddr, "") // 연결이 닫힐 때까지 여기서 머문다
	}}
	srv := &http.Server{Addr: ln.Addr().String(), Handler: server, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	log.Printf("Listening websocket p2p port on: %d", ln.Addr().(*net.TCPAddr).Port)
	return srv, nil
}

// getSockets 는 지금 연결된 소켓들을 돌려준다.
func getSockets() []*socket {
	socketsMu.Lock()
	defer socketsMu.Unlock()
	return slices.Clone(sockets)
}

// initConnection 은 새 연결을 소켓 배열에 넣고, 핸들러들을 붙이고, 상대에게 최신 블록을 묻는다.
// 연결이 닫힐 때까지 돌아오지 않는다.
func initConnection(conn *websocket.Conn, addr, peerURL string) {
	ws := &socket{conn: conn, addr: addr, url: peerURL,
		outbox: make(chan []byte, maxQueued), closed: make(chan struct{})}
	conn.MaxPayloadBytes = maxFrameBytes // 챕터와 다른 점: 받는 프레임 크기에 한계를 둔다
	go writeLoop(ws)                     // 챕터와 다른 점: 이 소켓의 outbox 를 차례로 보내는 고루틴

	socketsMu.Lock()
	sockets = append(sockets, ws) // 소켓을 소켓 배열에 넣는다 (sockets.push(ws))
	socketsMu.Unlock()
	initErrorHandler(ws)             // 소켓의 에러 핸들러를 초기화한다
	write(ws, queryChainLengthMsg()) // 상대에게 최신 블록을 묻는다
	// 소켓의 메시지 핸들러를 초기화한다.
	// 챕터와 다른 점: Go 에는 ws.on("message") 같은 이벤트가 없어 initMessageHandler 가 읽기 루프이다.
	// 연결이 닫힐 때까지 돌기 때문에 챕터와 달리 맨 마지막에 부른다.
	initMessageHandler(ws)
}

// connectToPeers 는 받은 피어 주소마다 웹소켓을 열고, 열리면 initConnection 을 부른다.
func connectToPeers(newPeers []string) {
	for _, peer := range newPeers {
		// 챕터와 다른 점: 잘못된 주소는 연결하지 않고 로그만 남긴다.
		config, err := websocket.NewConfig(peer, "http://localhost/")
		if err == nil && (config.Location.Scheme != "ws" || config.Location.Hostname() == "") {
			err = errors.New("want an address like ws://host:port")
		}
		if err != nil {
			log.Printf("connection failed: %s: %v", peer, err)
			continue
		}
		go func() {
			conn, addr, err := dial(config)
			if err != nil {
				log.Printf("connection failed: %s: %v", peer, err)
				return
			}
			initConnection(conn, addr, peer) // ws.on("open", …)
		}()
	}
}

// dial 은 피어에 TCP 로 연결하고 웹소켓 핸드셰이크를 한다. 연결된 소켓과 상대의 "주소:포트" 를 돌려준다.
// 챕터와 다른 점: 연결과 핸드셰이크에 시간 제한을 두고, 자기 자신이나 이미 연결한 피어에는 연결하지 않는다.
func dial(config *websocket.Config) (*websocket.Conn, string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), dialTimeout)
	defer cancel()
	port := config.Location.Port()
	if port == "" {
		port = "80"
	}
	var d net.Dialer
	tcp, err := d.DialContext(ctx, "tcp", net.JoinHostPort(config.Location.Hostname(), port))
	if err != nil {
		return nil, "", err
	}
	addr := tcp.RemoteAddr().String()
	if err := claimPeer(tcp); err != nil {
		tcp.Close()
		return nil, "", err
	}
	tcp.SetDeadline(time.Now().Add(dialTimeout))
	conn, err := websocket.NewClient(config, tcp)
	if err != nil {
		releasePeer(addr)
		tcp.Close()
		return nil, "", err
	}
	tcp.SetDeadline(time.Time{})
	return conn, addr, nil
}

// claimPeer 는 tcp 가 이 노드 자신이나 이미 연결한 피어로 간 것이면 에러를 돌려주고, 아니면 그 피어를 연결 중으로 적는다.
// 자기 자신이란: 상대 포트가 우리 P2P 포트이고 상대 IP 가 이 연결의 우리 쪽 IP 와 같은 것이다 (같은 기계, 같은 포트).
func claimPeer(tcp net.Conn) error {
	remote := tcp.RemoteAddr().(*net.TCPAddr)
	local := tcp.LocalAddr().(*net.TCPAddr)
	if own := p2pAddr.Load(); own != nil && remote.Port == own.Port && remote.IP.Equal(local.IP) {
		return errors.New("skipped: that address is this node")
	}
	socketsMu.Lock()
	defer socketsMu.Unlock()
	if outbound[remote.String()] {
		return errors.New("skipped: already connected to that peer")
	}
	outbound[remote.String()] = true
	return nil
}

// releasePeer 는 연결이 끝난 피어를 outbound 에서 지워 다시 연결할 수 있게 한다.
func releasePeer(addr string) {
	socketsMu.Lock()
	delete(outbound, addr)
	socketsMu.Unlock()
}

// mineBlock 은 blockData 로 새 블록을 만들어 체인에 붙이고, 성공하면 모든 피어에게 알린다. 실패하면 nil 이다.
func mineBlock(blockData []string) *Block {
	// 챕터와 다른 점: 만들기, 붙이기, 알리기를 체인 잠금 하나 안에서 한다. 동시에 여러 요청이 와도
	// 블록마다 다른 index 를 얻고, 알림은 체인 순서대로 줄을 선다.
	blockchainMu.Lock()
	defer blockchainMu.Unlock()
	newBlock := generateNextBlock(blockData)

	if addBlock(newBlock) {
		broadcast(responseLatestMsg())
		return &newBlock
	}
	return nil
}

// queryAllMsg 는 상대의 블록체인 전체를 달라는 메시지이다.
func queryAllMsg() Message {
	return Message{Type: QUERY_ALL, Data: nil}
}

// queryChainLengthMsg 는 상대의 최신 블록을 달라는 메시지이다.
func queryChainLengthMsg() Message {
	return Message{Type: QUERY_LATEST, Data: nil}
}

// responseChainMsg 는 내 블록체인 전체를 JSON 문자열로 담은 응답이다.
// 챕터와 다른 점: 노트의 JSON.stringify([getBlockchain()]) 는 체인을 배열로 한 번 더 감싼다. 챕터처럼 체인 자체를 보낸다.
func responseChainMsg() Message {
	return Message{Type: RESPONSE_BLOCKCHAIN, Data: blocksJSON(getBlockchain())}
}

// responseLatestMsg 는 내 최신 블록 하나를 배열에 담아 JSON 문자열로 만든 응답이다.
func responseLatestMsg() Message {
	return Message{Type: RESPONSE_BLOCKCHAIN, Data: blocksJSON([]Block{getLatestBlock()})}
}

// blocksJSON 은 블록 배열을 JSON.stringify 처럼 문자열로 만든다.
func blocksJSON(blocks []Block) *string {
	data, err := json.Marshal(blocks)
	if err != nil { // 블록은 문자열과 정수뿐이라 일어나지 않는다
		log.Printf("blocksJSON: %v", err)
		data = []byte("[]")
	}
	s := string(data)
	return &s
}

// errTooSlow 는 보낼 줄이 넘쳐 연결을 끊을 때의 까닭이다.
var errTooSlow = errors.New("peer too slow: outbox full")

// write 는 메시지를 JSON 으로 바꿔 그 소켓으로 보낸다.
// 챕터와 다른 점: 바로 보내지 않고 소켓의 outbox 에 줄을 세운다. 그래서 체인 잠금을 잡은 채로 불러도
// 소켓 입출력을 기다리지 않고, 보낸 순서 그대로 상대에게 간다.
func write(ws *socket, message Message) {
	data, err := json.Marshal(message)
	if err != nil {
		log.Printf("write: %v", err)
		return
	}
	// 챕터와 다른 점: 받아 가지 못하는 느린 피어는 줄이 끝없이 길어지는 대신 연결을 끊는다.
	if ws.queued.Add(int64(len(data))) > maxQueuedBytes {
		closeSocket(ws, errTooSlow)
		return
	}
	select {
	case ws.outbox <- data:
	case <-ws.closed:
	default:
		closeSocket(ws, errTooSlow)
	}
}

// writeLoop 는 소켓의 outbox 에 줄 선 메시지를 차례로 하나씩 텍스트 프레임으로 보낸다.
func writeLoop(ws *socket) {
	for {
		select {
		case data := <-ws.outbox:
			ws.conn.SetWriteDeadline(time.Now().Add(writeTimeout))
			_, err := ws.conn.Write(data) // 텍스트 프레임 하나
			ws.queued.Add(-int64(len(data)))
			if err != nil {
				closeSocket(ws, err)
				return
			}
		case <-ws.closed:
			return
		}
	}
}

// broadcast 는 연결된 모든 소켓(들어온 것과 나간 것 모두)에 메시지를 보낸다.
func broadcast(message Message) {
	for _, socket := range getSockets() {
		write(socket, message)
	}
}

// textFrames 는 텍스트 프레임만 받는 코덱이다. 바이너리 프레임은 errNotText 로 알린다.
var textFrames = websocket.Codec{Unmarshal: func(data []byte, payloadType byte, v any) error {
	if payloadType != websocket.TextFrame {
		return errNotText
	}
	*v.(*[]byte) = data
	return nil
}}

// errNotText 는 텍스트가 아닌 프레임(바이너리 등)을 받았다는 에러이다.
var errNotText = errors.New("not a text frame")

// initMessageHandler 는 소켓에서 메시지를 하나씩 읽어 handleMessage 로 처리한다.
func initMessageHandler(ws *socket) {
	for {
		var data []byte
		err := textFrames.Receive(ws.conn, &data)
		switch {
		case err == nil:
			handleMessage(ws, data)
		case errors.Is(err, errNotText):
			// 챕터와 다른 점: 바이너리 프레임은 로그만 남기고 무시한다. 연결은 그대로 쓴다.
			log.Printf("Ignored message from %s: binary frame", ws.addr)
		case errors.Is(err, websocket.ErrFrameTooLarge):
			// 챕터와 다른 점: 너무 큰 프레임은 그 연결만 닫는다.
			closeSocket(ws, fmt.Errorf("frame larger than %d bytes", maxFrameBytes))
			return
		default:
			closeSocket(ws, err)
			return
		}
	}
}

// handleMessage 는 챕터의 ws.on("message", function (data) {…}) 의 몸통이다: 메시지를 풀어 종류에 따라 처리한다.
func handleMessage(ws *socket, data []byte) {
	// 챕터와 다른 점: JSON.parse 가 실패하거나 JSON 객체가 아니면 노드가 죽지 않고 로그만 남긴다.
	// type 이 빠진 메시지가 0(QUERY_LATEST)으로 읽히지 않도록 -1 로 시작한다.
	message := Message{Type: -1}
	if err := json.Unmarshal(data, &message); err != nil {
		log.Printf("Ignored message from %s: %v", ws.addr, err)
		return
	}

	switch message.Type {
	case QUERY_LATEST:
		write(ws, responseLatestMsg())
	case QUERY_ALL:
		write(ws, responseChainMsg())
	case RESPONSE_BLOCKCHAIN:
		handleBlockchainResponse(message)
	default:
		log.Printf("Ignored message from %s: unknown type %d", ws.addr, message.Type)
	}
}

// initErrorHandler 는 소켓이 닫히거나 에러가 나면 closeConnection 이 한 번 불리도록 한다.
// 챕터와 다른 점: 'close' 와 'error' 이벤트 대신, 읽기나 쓰기가 실패하면 closeSocket 이 ws.closed 를 닫는다.
// 챕터처럼 두 이벤트가 모두 와도 closeConnection 은 한 번만 불린다.
func initErrorHandler(ws *socket) {
	go func() {
		<-ws.closed
		closeConnection(ws)
	}()
}

// closeSocket 은 소켓이 실패했다고 표시한다. 처음 한 번만 효과가 있다.
func closeSocket(ws *socket, reason error) {
	ws.once.Do(func() {
		log.Printf("Closing connection to %s: %v", ws.addr, reason)
		// 지금 막혀 있는 읽기와 쓰기를 바로 끝낸다.
		ws.conn.SetDeadline(time.Now())
		close(ws.closed)
	})
}

// closeConnection 은 닫힌 소켓을 소켓 배열에서 뺀다.
// 챕터와 다른 점: 챕터는 sockets.indexOf(ws) 가 -1 일 때 마지막 소켓을 지운다. 여기서는 그 소켓만, 한 번만 뺀다.
func closeConnection(ws *socket) {
	log.Println("Connection failed to peer: " + ws.addr)
	socketsMu.Lock()
	sockets = slices.DeleteFunc(sockets, func(s *socket) bool { return s == ws })
	socketsMu.Unlock()
	if ws.url != "" {
		releasePeer(ws.addr)
	}
	ws.conn.Close()
}

// handleBlockchainResponse 는 받은 블록들을 보고 내 체인에 붙일지, 체인 전체를 물을지, 체인을 바꿀지 정한다.
func handleBlockchainResponse(message Message) {
	// 챕터와 다른 점: data 가 문자열이 아니거나, JSON 블록 배열이 아니거나, 비어 있으면 로그만 남기고 무시한다.
	if message.Data == nil {
		log.Println("Ignored RESPONSE_BLOCKCHAIN: data is not a string")
		return
	}
	// 챕터와 다른 점: 체인 전체가 든 긴 문자열을 []byte 로 한 번 더 복사하지 않고 그 바이트를 그대로 읽는다.
	// json.Unmarshal 은 입력을 읽기만 하므로 안전하다. 블록 4만 개(10 MiB)에서 받기가 15 % 쯤 빨라진다.
	text := unsafe.Slice(unsafe.StringData(*message.Data), len(*message.Data))
	var receivedBlocks []Block
	if err := json.Unmarshal(text, &receivedBlocks); err != nil {
		log.Printf("Ignored RESPONSE_BLOCKCHAIN: %v", err)
		return
	}
	if len(receivedBlocks) == 0 {
		log.Println("Ignored RESPONSE_BLOCKCHAIN: no blocks")
		return
	}
	latestBlockReceived := receivedBlocks[len(receivedBlocks)-1]
	if !isValidBlockStructure(latestBlockReceived) {
		log.Println("Ignored RESPONSE_BLOCKCHAIN: invalid block structure")
		return
	}

	// 챕터와 다른 점: 최신 블록 읽기부터 붙이기나 바꾸기, 알리기까지 체인 잠금 하나 안에서 한다.
	blockchainMu.Lock()
	defer blockchainMu.Unlock()
	latestBlockHeld := getLatestBlock()

	if latestBlockReceived.Header.Index > latestBlockHeld.Header.Index {
		log.Printf("Blockchain possibly behind. We got: %d, Peer got: %d",
			latestBlockHeld.Header.Index, latestBlockReceived.Header.Index)

		if calculateHashForBlock(latestBlockHeld) == latestBlockReceived.Header.PreviousHash {
			log.Println("We can append the received block to our chain")
			if addBlock(latestBlockReceived) {
				broadcast(responseLatestMsg())
			}
		} else if len(receivedBlocks) == 1 {
			log.Println("We have to query the chain from our peer")
			broadcast(queryAllMsg())
		} else {
			log.Println("Received blockchain is longer than current blockchain")
			replaceChain(receivedBlocks)
		}
	} else {
		log.Println("Received blockchain is not longer than current blockchain. Do nothing")
	}
}
