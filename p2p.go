// p2p.go에는 챕터 2의 P2P 부분(웹소켓, 메시지, 브로드캐스트, 체인 교체)이 들어 있다. 주석의 표시는 chain.go 머리말에 있다.
// 주석의 낱말: 리슨(포트를 열고 연결을 기다림), 프레임(웹소켓으로 보내는 단위. 메시지 하나는 보통 프레임 하나이다),
// 핸드셰이크(웹소켓 연결을 여는 HTTP 요청과 응답), 대기열(보낼 프레임을 차례로 쌓아 두는 곳).
// 노트 코드의 오타는 그 줄에 "노트와 다른 점:"으로 적었다. 모아 본 것은 README의 「노트를 읽을 때」에 있다.
package main

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"maps"
	mathrand "math/rand/v2"
	"net"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/net/netutil"
	"golang.org/x/net/websocket"
)

// 챕터의 http_port, p2p_port(main.js 141–142행)는 main.go의 플래그이다.

// MessageType은 메시지의 종류이다. (main.js 144–148행)
type MessageType int

// 챕터의 세 메시지 종류.
const (
	QUERY_LATEST        MessageType = 0
	QUERY_ALL           MessageType = 1
	RESPONSE_BLOCKCHAIN MessageType = 2
)

// Message는 웹소켓 메시지 {"type":T,"data":D}이다. 챕터의 응답은 data에 블록 배열을 JSON.stringify 한 문자열을 담는다.
// Go의 Data는 그 블록 배열이고, 문자열로 바꾸는 일은 보낼 때, 되돌리는 일은 받을 때 한다. 주고받는 바이트는 같다.
type Message struct {
	Type MessageType `json:"type"`
	Data []Block     `json:"data"` // 요청이면 nil(null). 보낼 때는 블록 배열을 JSON.stringify 한 문자열로 나간다
}

// sockets는 연결된 웹소켓들이다. blockchain처럼 mu로 보호한다. (main.js 150행)
var sockets []*socket

// socket은 웹소켓 하나(챕터의 ws)이다. ws.on(이름, 함수)으로 핸들러를 등록하고, ws.send(메시지)로 보낸다. 그 속은 배너 아래에
// 있고, 열어 보지 않아도 챕터를 다 읽을 수 있다.
// 챕터와 다른 점: 압축(permessage-deflate)하지 않고, 닫을 때 닫는 프레임을 보내지 않으며, 열린 소켓의 에러는 "error" 없이
// "close"로만 온다.
// 챕터와 다른 점: (한계) 여러 프레임으로 나눈 메시지는 받지 않는다.
type socket struct {
	url   string // ws.url: 우리가 연결한 피어의 주소(로그용으로 앞 200글자를 이스케이프한 것), 들어온 연결이면 ""
	*conn        // 연결과 보낼 대기열(배너 아래). 임베딩해서 ws.addr처럼 conn의 필드를 바로 쓴다
}

// getSockets는 연결된 소켓들을 반환한다. (main.js 152행)
func getSockets() []*socket { return sockets }

// initHttpServer(main.js 154–190행)는 http.go에 있다.

// initP2PServer는 ln(main이 미리 연 포트)에서 웹소켓 서버를 열고, 연결마다 initConnection을 부른다. (main.js 192–196행)
// 노트와 다른 점: server.on은 연결을 대기열에 올리지 않고, 연결마다 부를 함수를 등록한다.
func initP2PServer(ln net.Listener) {
	// 챕터와 다른 점: 이 노드 자신의 연결과, Origin 헤더가 있는데 http://localhost/가 아닌 연결(웹 페이지 등)은 403이다.
	// 챕터와 다른 점: (한계) 연결 수와 핸드셰이크 시간에 한계가 있다 (README 표).
	newServer(ln, func(ws *socket) { initConnection(ws) }) // new WebSocket.Server(…), server.on("connection", …)
	// 챕터와 다른 점: 실제로 리슨하는 포트를 출력한다(-p2p_port 0이면 운영체제가 고른 포트).
	log.Printf("Listening websocket p2p port on: %d", portOf(ln)) // 노트와 다른 점: 노트는 "listeing … on:"(공백 없이)이다
}

// initConnection은 소켓을 sockets에 넣고 핸들러를 등록한 뒤, 상대에게 최신 블록을 요청한다. (main.js 198–203행)
// 챕터와 다른 점: 5초 안에 첫 메시지가 오지 않는 연결은 닫는다(노드끼리는 연결하자마자 QUERY_LATEST를 보낸다).
// 노트와 다른 점: 노트는 서버를 넣고 "클라이언트(어플)"에게 블록 길이를 보낸다고 했지만, 넣는 것은 소켓이고 보내는 것은 상대
// 노드(피어)에게 최신 블록 요청이다.
func initConnection(ws *socket) {
	sockets = append(sockets, ws) // sockets.push(ws)
	initMessageHandler(ws)        // 노트와 다른 점: 노트는 intiMessageHandler로 썼다(오타지만 노트 안에서는 철자가 같아 동작한다)
	initErrorHandler(ws)
	write(ws, queryChainLengthMsg())
}

// initMessageHandler는 소켓에 메시지가 올 때마다 그 종류에 따라 처리하게 한다. (main.js 205–221행)
// 노트와 다른 점: ws.on은 소켓을 메시지 대기열에 올리지 않고, 메시지마다 부를 함수를 등록한다.
// 챕터와 다른 점: JSON.stringify가 쓰는 형식(공백 없이, 챕터의 키 순서, 정수 type과 null이나 문자열인 data)이 아닌 메시지는
// 처리하지 않고 "Ignored message …"를 출력하며, 한 피어가 다섯 번 보내면 연결을 닫는다. 자바스크립트 노드가 생성했어도
// data에 짝 없는 \ud800이나 64단계보다 깊은 값이 든 블록도 그렇게 거부한다.
// 챕터와 다른 점: 메시지는 mu를 잠그기 전에 파싱하므로, 먼저 다 받은 큰 메시지가 다른 피어의 작은 메시지보다 늦게 처리될 수 있다.
// 챕터와 다른 점: (한계) 그 밖의 잘못된 메시지, 큰 메시지, 닫히는 중인 소켓에 온 메시지도 다르게 다룬다 (README 표).
func initMessageHandler(ws *socket) {
	ws.on("message", func(message Message) { // const message = JSON.parse(data)는 메시지를 받을 때 이미 했다
		switch message.Type {
		case QUERY_LATEST:
			write(ws, responseLatestMsg())
		case QUERY_ALL:
			write(ws, responseChainMsg())
		case RESPONSE_BLOCKCHAIN: // 노트와 다른 점: 노트의 MassgeType은 오타라, 노트의 코드는 블록을 받을 때마다(type이 0도 1도 아니면) 죽는다
			handleBlockchainResponse(message)
		}
	})
}

// initErrorHandler는 소켓이 닫히거나 에러가 나면 closeConnection을 부른다. (main.js 223–226행)
func initErrorHandler(ws *socket) {
	ws.on("close", func() { closeConnection(ws) })
	// 챕터와 다른 점: 열린 소켓의 에러도 "close"로 오므로 이 핸들러는 불리지 않는다. 챕터와 모양을 맞추려고 남겨 두었다.
	ws.on("error", func() { closeConnection(ws) })
}

// closeConnection은 닫힌 소켓을 sockets에서 뺀다. (main.js 228–231행)
func closeConnection(ws *socket) {
	// 챕터와 다른 점: 닫힌 이유도 출력하고(주소와 이유는 이스케이프한다), 들어온 연결이면 ws.url(undefined) 대신 상대의 주소를
	// 출력한다.
	log.Printf("Connection failed to peer: %s (%s)", cmp.Or(ws.url, ws.addr), ws.reason())
	// 챕터와 다른 점: 그 소켓만 뺀다. 챕터는 두 번 불리면 splice(-1, 1)이 남은 마지막 소켓을 뺀다.
	if i := slices.Index(sockets, ws); i >= 0 { // sockets.indexOf(ws)
		sockets = slices.Delete(sockets, i, i+1) // sockets.splice(i, 1)
	}
}

// connectToPeers는 피어 주소마다 웹소켓을 열고, 열리면 initConnection을 부른다. (main.js 233–241행)
// 노트와 다른 점: peer는 포트 번호가 아니라 ws://… 주소이고, 소켓을 sockets에 넣는 것은 열린 뒤의 initConnection이다.
func connectToPeers(newPeers []string) {
	for _, peer := range newPeers {
		// 챕터와 다른 점: 이 노드가 이미 연결했거나 연결하는 중인 주소(글자가 같은 주소. 들어온 연결은 보지 않는다), ws://가
		// 아닌 주소(wss:// 등), 이 노드 자신은 "error"가 된다. 자신은 연결할 때 보내는 Node-Id 헤더로 알아본다.
		// 챕터와 다른 점: (한계) 연결 수와 시간에도 한계가 있다 (README 표).
		ws := newWebSocket(peer) // const ws = new WebSocket(peer)
		ws.on("open", func() { initConnection(ws) })
		// 챕터와 다른 점: 주소와 이유도 출력하고, 열린 뒤의 에러에는 불리지 않는다. 노트와 다른 점: 노트는 connection failed이다.
		ws.on("error", func() { log.Printf("Connection failed: \"%s\": %s", ws.url, ws.reason()) })
	}
}

// handleBlockchainResponse는 받은 블록들로 블록을 추가할지, 체인 전체를 요청할지, 체인을 교체할지 정한다.
// (main.js 243–273행) 노트의 「3. 처리과정」과 다른 곳은 분기마다 적었다.
// 챕터와 다른 점: (한계) 잘못된 메시지는 여기 오지 않는다(initMessageHandler). 첫 블록부터 해시로 이어지는 블록들이나
// 마지막 블록의 머클 루트가 틀린 메시지도 그렇다 (README 표).
func handleBlockchainResponse(message Message) {
	receivedBlocks := message.Data // JSON.parse(message.data)는 메시지를 받을 때 이미 했다
	latestBlockReceived := receivedBlocks[len(receivedBlocks)-1]
	latestBlockHeld := getLatestBlock()

	if latestBlockReceived.Header.Index > latestBlockHeld.Header.Index {
		// 노트와 다른 점: 노트의 " we got:"은 챕터에서 " We got: "이다(대문자 W, 콜론 뒤의 공백)
		log.Printf("Blockchain possibly behind. We got: %d,  Peer got: %d", latestBlockHeld.Header.Index, latestBlockReceived.Header.Index)
		if calculateHashForBlock(latestBlockHeld) == latestBlockReceived.Header.PreviousHash { // 노트와 다른 점: 노트의 ==는 챕터에서 ===이다
			// 받은 블록이 내 원장의 최신 블록을 가리킨다 (챕터의 주석)
			// 받은 블록이 여럿이어도(QUERY_ALL의 응답) 마지막 블록이 내 최신 블록에 이어지면 여기 오고, 그 블록만 추가한다.
			log.Println("We can append the received block to our chain")
			if addBlock(latestBlockReceived) {
				broadcast(responseLatestMsg()) // 노트와 다른 점: 넣으라고 요청하는 것이 아니라 새 최신 블록을 알린다
			}
		} else if len(receivedBlocks) == 1 { // 노트와 다른 점: 노트의 ==는 챕터에서 ===이다
			// 체인을 재구성해야 한다 (챕터의 주석)
			// 노트와 다른 점: 블록의 오류라고 단정할 수 없다. 이어지지 않는 블록 하나를 받았을 때이고, 둘 이상 뒤처졌거나 다른
			// 포크일 수 있다. 어디서 놓쳤는지 찾지 않고 체인 전체를 요청한다.
			log.Println("We have to query the chain from our peer")
			// 챕터와 다른 점: 이미 QUERY_ALL을 보낸 피어에게는 다시 보내지 않는다(배너 아래의 send). 그 피어가 나중에 이 분기를
			// 일으키는 블록(이어지지 않는 더 높은 블록 하나)을 알려 오면 다시 보낸다. 같은 블록을 되풀이해 알리는 피어 하나
			// 때문에 이웃 모두가 이 노드에게 체인 전체를 거듭 보내는 일을 막는다.
			broadcast(queryAllMsg())
		} else {
			// 체인을 교체한다 (챕터의 주석)
			// 노트와 다른 점: "꽤 지난 뒤에 나타난" 블록이 아니라, 받은 블록이 여럿이고 마지막 블록이 이어지지 않을 때(대개
			// QUERY_ALL의 응답)이다. 바로 바꾸지 않는다. replaceChain이 isValidChain으로 검증하고 더 길 때만 바꾼다.
			log.Println("Received blockchain is longer than current blockchain")
			replaceChain(receivedBlocks)
		}
	} else {
		log.Println("Received blockchain is not longer than current blockchain. Do nothing") // 노트와 다른 점: 노트는 Receied
	}
}

// 아래 네 함수는 메시지를 만들기만 하고, 보내는 것은 write이다.
// 노트와 다른 점: 노트의 코드 주석은 네 함수가 블록 데이터를 보낸다고 했지만, 두 요청(queryAllMsg, queryChainLengthMsg)의
// data는 null이다.

// queryAllMsg는 상대의 블록체인 전체를 달라는 요청이다. (main.js 275–280행)
func queryAllMsg() Message { return Message{Type: QUERY_ALL, Data: nil} }

// queryChainLengthMsg는 상대의 최신 블록을 달라는 요청이다. 이름과 달리 길이가 아니라 최신 블록을 묻는다.
// (main.js 282–287행)
func queryChainLengthMsg() Message { return Message{Type: QUERY_LATEST, Data: nil} }

// responseChainMsg는 내 블록체인 전체를 담은 응답이다. (main.js 289–294행)
// 노트와 다른 점: 노트의 JSON.stringify([getBlockchain()])는 체인을 배열로 한 번 더 감싸, 받는 노드가 .header.index에서 죽는다.
func responseChainMsg() Message {
	// "data": JSON.stringify(getBlockchain())는 보낼 때 한다
	return Message{Type: RESPONSE_BLOCKCHAIN, Data: getBlockchain()}
}

// responseLatestMsg는 내 최신 블록 하나를 배열에 담은 응답이다. (main.js 296–301행)
func responseLatestMsg() Message {
	// "data": JSON.stringify([getLatestBlock()])는 보낼 때 한다
	return Message{Type: RESPONSE_BLOCKCHAIN, Data: []Block{getLatestBlock()}}
}

// write는 메시지를 그 소켓으로 보낸다. 챕터의 ws.send처럼 기다리지 않고 돌아온다. (main.js 303행)
// 노트와 다른 점: 서버 소켓만이 아니라 연결한 쪽도 받은 쪽도 write를 부른다.
// 챕터와 다른 점: 닫히는 중인 소켓에는 보내지 않는다. 챕터의 ws.send는 예외를 던져, 메시지 핸들러 안이면 프로세스가 죽고
// /mineBlock 안이면 블록을 추가하고도 500으로 응답한다. QUERY_ALL은 handleBlockchainResponse에 적은 대로 건너뛸 때가 있다.
// 챕터와 다른 점: 보낸 메시지를 제때 읽지 않는 피어와는 연결을 끊는다. 모든 대기열을 합쳐 128 MiB가 넘으면 가장 많이 밀린
// 피어부터 끊고, 그래도 자리가 없으면 "Not sending to …"를 출력하고 보내지 않는다 (README 표).
func write(ws *socket, message Message) {
	ws.send(message) // ws.send(JSON.stringify(message))
}

// broadcast는 연결된 모든 소켓에 write로 메시지를 보낸다. (main.js 305–309행)
func broadcast(message Message) {
	for _, s := range sockets { // sockets.forEach(function (socket) { write(socket, message); })
		write(s, message)
	}
}

// mineBlock은 blockData로 새 블록을 채굴(생성)해 체인에 추가하고, 모든 피어에게 알린다. 실패하면 nil이다.
// (main.js 311–321행)
func mineBlock(blockData json.RawMessage) *Block {
	newBlock := generateNextBlock(blockData)

	if addBlock(newBlock) {
		// 노트와 다른 점: 노트의 responselaatestMsg는 없는 이름이라, 노트의 코드는 (노트 /mineBlock의 문법 오류를 고쳐도)
		// 블록을 추가한 뒤 여기서 ReferenceError를 던진다. 블록은 알리지 못하고 /mineBlock은 500으로 응답한다.
		broadcast(responseLatestMsg())
		return &newBlock
	}
	return nil
}

// replaceChain은 받은 체인이 유효하고 지금 체인보다 길면 교체한 뒤 새 마지막 블록을 알린다. (main.js 323–333행)
// 받은 index가 더 클 때만 불리므로 유효한 체인은 늘 더 길고, 같은 길이일 때의 동전 던지기는 챕터에서도 실행되지 않는다.
func replaceChain(newBlocks []Block) {
	if isValidChain(newBlocks) &&
		(len(newBlocks) > len(blockchain) || (len(newBlocks) == len(blockchain) && mathrand.N(2) == 0)) { // 같은 길이면 random.boolean()
		log.Println("Received blockchain is valid. Replacing current blockchain with received blockchain")
		blockchain = newBlocks
		broadcast(responseLatestMsg())
	} else {
		log.Println("Received blockchain invalid")
	}
}

// ---- 챕터에 없는 것 ----
// 메시지가 지나가는 길은 이렇다. 받을 때는 readPump가 프레임을 읽고, receive가 mu 밖에서 파싱하고(readMessage), mu를 잠그고
// "message" 핸들러를 부른다. 보낼 때는 write의 ws.send가 프레임을 소켓의 대기열에 넣고(enqueue), writePump가 보낸다. 블록을
// 담은 응답의 JSON.stringify는 writePump가 mu 밖에서 하고, data가 null인 요청은 작아서 바로 쓴다. 나머지는 신뢰할 수 없는
// 피어가 쓰게 할 수 있는 메모리, CPU, 시간에 두는 한계이다.
// 이 아래에 있는 것: ws.on과 ws.send(on, send), 보낼 프레임(answer, stringifyChain), new WebSocket.Server(newServer), new
// WebSocket(newWebSocket), 읽는 바이트의 한계(limitedConn, cpu), 대기열(enqueue, writePump), 받은 메시지(readPump, receive),
// JSON.parse(readMessage, decodeBlocks), -trace.

// 신뢰할 수 없는 피어를 막는 한계들 (README의 「지키는 한계」).
// 챕터의 P2P에는 ws 1.1.5가 들어온 연결에 두는 프레임 한계(100 MiB)만 있다.
const (
	maxPeers       = 64       // 들어온 연결 수, 나가는(연결했거나 연결하는 중인) 연결 수, /addPeers 요청 하나의 주소 수의 한계
	maxQueued      = 1024     // 한 소켓의 대기열에 기다리는 프레임 수의 한계
	maxBadMessages = 5        // 한 피어가 보낸 잘못된 메시지가 이만큼이면 연결을 닫는다
	maxHeaderBytes = 4 << 10  // 웹소켓 핸드셰이크(HTTP)의 요청 헤더와 응답 헤더의 크기 한계 (net/http는 요청에 4 KiB를 더 읽는다)
	bigMessage     = 16 << 10 // 이보다 큰 메시지는 bigReads의 슬롯을 얻어야 읽는다. 핸드셰이크 전의 연결은 이만큼까지만 읽어 슬롯을 얻지 못한다
)

// 시간 제한들과 대기열의 바이트 한계는 상수가 아니다. 테스트가 시작할 때 한 번 짧게, 작게 줄인다. nodeID는 이 노드를 알아보는
// 무작위 문자열이다. 연결할 때 핸드셰이크 헤더 Node-Id로 보내고, 받은 쪽은 그것이 자기 것이면 거부한다.
var (
	writeTimeout   = 30 * time.Second // 프레임 하나를 보내는, 그리고 16 KiB를 넘는 메시지 하나를 받는 최대 시간 (mu로 보호한다: timeout)
	dialTimeout    = 5 * time.Second  // TCP 연결과 핸드셰이크, 들어온 연결의 요청 헤더, 모든 연결의 첫 메시지에 저마다 주는 최대 시간
	maxQueuedBytes = 128 << 20        // 모든 대기열에 있는 서로 다른 프레임의 바이트 수의 한계 (나눠 가진 프레임은 한 번 센다)
	nodeID         = rand.Text()
	answers        = map[string]*frame{}  // 지금 체인에 대한 응답들: 종류와 블록 수로 찾는다 (mu로 보호한다)
	answered       Hash                   // answers가 응답하는 체인의 마지막 블록 해시 (mu로 보호한다)
	queuedBytes    int                    // 대기열들에 있는 서로 다른 프레임의 바이트 수 (mu로 보호한다)
	dialed         = map[string]*socket{} // 연결했거나 연결하는 중인 피어 주소(ws.url)와 그 소켓 (mu로 보호한다)
)

// on은 ws.on(event, handler)이다. Node.js처럼 handler를 그 이벤트의 핸들러 목록에 더한다. "message"이면 메시지를 읽는
// 고루틴(readPump)을 띄운다. "close"이면 소켓이 닫힌 뒤에 handler를 부르게 한다(context.AfterFunc). 핸들러는 늘 mu를 잠근
// 채로 불린다. on도 mu를 잠근 채로 불러야 한다.
func (ws *socket) on(event string, handler any) {
	ws.handlers[event] = append(ws.handlers[event], handler)
	if event == "message" && ws.link != nil {
		trace("+", ws.addr, "connected")
		go readPump(ws)
	} else if event == "close" {
		context.AfterFunc(ws.ctx, func() {
			mu.Lock()
			release(ws)
			trace("-", ws.addr, ws.reason())
			handler.(func())()
			mu.Unlock()
		})
	}
}

// send는 ws.send(JSON.stringify(message))이다. 프레임을 소켓의 대기열에 넣고(enqueue) 곧 돌아오며, 응답의 JSON.stringify와
// 쓰기는 writePump가 mu 밖에서 한다. 이미 QUERY_ALL을 보낸 소켓에는 receive가 askedAll을 지울 때까지 다시 보내지 않는다
// (handleBlockchainResponse의 규칙). mu를 잠근 채로 불러야 한다.
func (ws *socket) send(message Message) {
	if message.Type == QUERY_ALL && ws.askedAll {
		return
	} else if enqueue(ws, frameOf(message)) { // 넣지 못한 QUERY_ALL은 보낸 것으로 세지 않는다
		ws.askedAll = ws.askedAll || message.Type == QUERY_ALL
		trace("→", ws.addr, describe(message.Type, message.Data)) // -trace와 노드의 페이지에는 대기열에 넣은 메시지만 보인다
	}
}

// conn은 소켓 하나의 연결과 대기열이다. 구조는 gorilla/websocket의 chat 예제와 비슷하다. 연결마다 읽는 고루틴(readPump)과
// 쓰는 고루틴(writePump)이 하나씩 있다. ws.send는 프레임을 대기열에 넣기만 하고, writePump가 차례로 보낸다.
type conn struct {
	link     *websocket.Conn  // 웹소켓 연결: 연결하는 중에는 nil
	raw      *limitedConn     // ws 아래의 연결: 읽는 바이트를 센다
	addr     string           // "remoteAddress:remotePort": GET /peers와 로그에 출력하는 값
	handlers map[string][]any // ws.on(event, handler)로 등록한 핸들러들: "message"는 func(Message), 나머지는 func() (mu로 보호한다)
	queue    chan *frame      // ws.send의 대기열: 넣고 꺼내는 일은 mu를 잠근 채 한다
	ready    *sync.Cond       // 대기열에 프레임이 들어왔거나 소켓이 닫혔다고 writePump를 깨운다 (enqueue, release)
	ctx      context.Context  // 소켓이 닫히면 끝난다: context.Cause가 처음 닫힌 이유이다
	cancel   context.CancelCauseFunc
	askedAll bool // 이 피어에게 QUERY_ALL을 보냈고, 아직 다시 보낼 까닭(이어지지 않는 더 높은 블록 하나)을 알려 오지 않았다 (mu로 보호한다)
	// backlog는 대기열에서 기다리는 프레임의 바이트 수로, 보내는 중인 것은 뺀다. bad는 이 피어가 보낸 잘못된 메시지 수이다.
	// 둘 다 mu로 보호한다.
	backlog, bad int
}

// frame은 보낼 웹소켓 프레임 하나이다. 체인의 한 버전에 대한 같은 응답은 모든 소켓의 대기열이 같은 frame을 나눠 가진다.
// size는 만들기 전에 센 바이트 수이다. holders는 이 프레임을 대기열에 두었거나 보내는 중인 소켓 수이다(mu로 보호한다).
type frame struct {
	size, holders int
	text          func() []byte // JSON.stringify(message): 처음 보내는 고루틴이 mu 밖에서 한 번 만든다 (sync.OnceValue)
}

// answer는 blocks를 JSON.stringify 한 배열을 prefix와 suffix로 감싸 보낼 프레임이다. 블록마다 stringify 해 escape를 거쳐,
// 크기를 아는 버퍼 하나에 쉼표로 이어 쓴다. 그래서 64 MiB의 응답도 encoding/json의 자라는 버퍼 없이 그만큼만 든다. 바이트는
// 처음 보내는 고루틴이 mu 밖에서 한 번 쓰고, 체인의 같은 버전이면 모든 소켓과 요청이 나눠 쓴다. mu를 잠근 채로 불러야 한다.
func answer(blocks []Block, prefix, suffix string, escape *strings.Replacer) *frame {
	if tip := calculateHashForBlock(blocks[len(blocks)-1]); tip != answered { // 체인은 바뀔 때마다 길어지므로 버전마다 다르다
		clear(answers)
		answered = tip
	}
	key := fmt.Sprint(prefix, len(blocks))
	if answers[key] == nil {
		size := frameBase + blockBytes(blocks[0]) // 마지막 블록 하나. 이스케이프하지 않는 GET /blocks의 본문은 이보다 작다
		if len(blocks) > 1 {
			size = chainCost().bytes // 지금 체인 전체 (교체한 체인이면 receive가 적은 held)
		}
		answers[key] = &frame{size: size, text: sync.OnceValue(func() []byte {
			defer cpu()()
			out := bytes.NewBuffer(append(make([]byte, 0, size+1), prefix...)) // 마지막 블록 뒤의 쉼표는 suffix로 덮으므로 한 바이트 더
			for i := range blocks {
				escape.WriteString(out, string(stringify(blocks[i])))
				out.WriteByte(',')
			}
			return append(out.Bytes()[:out.Len()-1], suffix...)
		})}
	}
	return answers[key]
}

// frameOf는 JSON.stringify(message)를 보낼 프레임이다. 요청은 바로 쓰고, 블록들은 answer가 보낼 때 쓴다.
func frameOf(message Message) *frame {
	if message.Data == nil {
		text := stringify(message)
		return &frame{size: len(text), text: func() []byte { return text }}
	}
	return answer(message.Data, `{"type":2,"data":"[`, `]"}`, escape)
}

// escape는 JSON.stringify가 쓴 JSON을 JSON 문자열 안에 다시 쓴다. 제어 문자는 이미 이스케이프되어 있으므로 "와 \ 만
// 이스케이프하면 된다. asIs는 아무것도 바꾸지 않는다(GET /blocks의 본문).
var escape, asIs = strings.NewReplacer(`"`, `\"`, `\`, `\\`), strings.NewReplacer()

// stringifyChain은 JSON.stringify(blocks)를 담을 프레임이고, GET /blocks의 본문이다. 그 text()는 mu 밖에서 부른다. 체인의 한
// 버전에 대해 한 번 만든 바이트를 요청들과 소켓들이 나눠 쓴다(answer). mu를 잠근 채로, 지금 체인으로 불러야 한다.
func stringifyChain(blocks []Block) *frame { return answer(blocks, "[", "]", asIs) }

// newServer는 ln에서 웹소켓 서버를 연다. 연결마다 소켓을 만들어 mu를 잠그고 onConnection에 넘긴다. ln을 닫으면 끝난다.
func newServer(ln net.Listener, onConnection func(*socket)) {
	server := websocket.Server{
		// npm ws는 Origin 헤더 없이 연결하고, 이 노드는 Origin을 http://localhost/ 로 보낸다(newWebSocket). 다른 Origin과 이
		// 노드 자신(Node-Id)은 거부한다. 브라우저는 끝에 / 가 없는 Origin을 보내므로 웹 페이지는 피어가 될 수 없다.
		Handshake: func(_ *websocket.Config, req *http.Request) error {
			if origin := req.Header.Get("Origin"); req.Header.Get("Node-Id") == nodeID || origin != "" && origin != "http://localhost/" {
				return errors.New("a connection from this node itself or from a web page")
			}
			return nil
		},
		Handler: func(ws *websocket.Conn) {
			s := newSocket("", "")
			s.open(ws, ws.Request().Context().Value(rawKey{}).(*limitedConn), ws.Request().RemoteAddr)
			mu.Lock()
			onConnection(s)
			mu.Unlock()
			<-s.ctx.Done() // websocket.Server는 Handler가 돌아오면 연결을 닫는다
		},
	}
	go (&http.Server{Addr: ln.Addr().String(), Handler: server, ReadHeaderTimeout: dialTimeout, IdleTimeout: dialTimeout, MaxHeaderBytes: maxHeaderBytes,
		ConnContext: func(ctx context.Context, c net.Conn) context.Context { return context.WithValue(ctx, rawKey{}, c) }}).Serve(rawListener{netutil.LimitListener(ln, maxPeers)})
}

// newSocket은 아직 연결이 없는 소켓을 만든다.
func newSocket(addr, url string) *socket {
	ctx, cancel := context.WithCancelCause(context.Background())
	return &socket{url, &conn{addr: addr, handlers: map[string][]any{}, queue: make(chan *frame, maxQueued), ready: sync.NewCond(&mu), ctx: ctx, cancel: cancel}}
}

// open은 소켓에 열린 연결을 달고, 대기열을 보내는 writePump를 띄운다.
func (s *socket) open(ws *websocket.Conn, raw *limitedConn, addr string) {
	ws.MaxPayloadBytes, s.link, s.raw, s.addr = maxFrameBytes, ws, raw, addr
	raw.limit, raw.quit = 0, s.ctx.Done() // 핸드셰이크 뒤의 프레임은 MaxPayloadBytes가 제한한다
	raw.done()                            // 핸드셰이크에 읽은 바이트는 메시지가 아니다
	go writePump(s)
}

// newWebSocket은 new WebSocket(peer)이다. 소켓을 만들고, 연결은 고루틴이 한다. 열리면 "open" 핸들러를, 못 열면 "error"
// 핸들러를 mu를 잠그고 부른다. 부른 쪽(connectToPeers)이 mu를 잠그고 있으므로, 그때는 핸들러를 다 등록한 뒤이다.
func newWebSocket(peer string) *socket {
	ws := newSocket("", logSafe(peer)) // ws.url은 출력에만 쓴다
	config, err := websocket.NewConfig(peer, "http://localhost/")
	switch {
	case err != nil:
	case config.Location.Scheme != "ws" || config.Location.Hostname() == "":
		err = errors.New("want an address like ws://host:port")
	case dialed[peer] != nil || len(dialed) >= maxPeers:
		err = fmt.Errorf("skipped: already connected or connecting to that address, or to %d peers", maxPeers)
	default:
		dialed[peer] = ws
	}
	go func() {
		if err == nil {
			err = dial(ws, config)
		}
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			ws.drop(err)
		}
		for _, handler := range ws.handlers[map[bool]string{true: "open", false: "error"}[err == nil]] {
			handler.(func())()
		}
	}()
	return ws
}

// dial은 시간 제한 안에 TCP로 연결하고 웹소켓 핸드셰이크를 한다. 피어의 응답 헤더는 maxHeaderBytes까지만 읽는다. 핸드셰이크에
// Node-Id를 보내므로, 이 노드 자신에게 연결하면 어느 주소로 연결했든 받는 쪽(newServer)이 거부한다.
func dial(ws *socket, config *websocket.Config) error {
	config.Header = http.Header{"Node-Id": {nodeID}}
	tcp, err := net.DialTimeout("tcp", net.JoinHostPort(config.Location.Hostname(), cmp.Or(config.Location.Port(), "80")), dialTimeout)
	if err != nil {
		return err
	}
	limited := &limitedConn{Conn: tcp, limit: maxHeaderBytes}
	tcp.SetDeadline(time.Now().Add(dialTimeout))
	conn, err := websocket.NewClient(config, limited)
	if err == nil {
		ws.open(conn, limited, tcp.RemoteAddr().String())
		return nil
	} else if errors.Is(err, websocket.ErrBadStatus) {
		err = errors.New("handshake refused: the peer did not answer 101 (this node itself answers 403)")
	}
	tcp.Close()
	return err
}

// limitedConn은 읽는 바이트를 세는 연결이다. 연결한 피어의 핸드셰이크 응답은 limit(maxHeaderBytes)까지만 읽는다. 메시지
// 하나가 16 KiB를 넘으면 bigReads의 슬롯을 얻어야 더 읽는다. 큰 메시지를 읽고 파싱하는 메모리는 연결이 몇 개든 둘 몫이다.
type limitedConn struct {
	net.Conn
	// limit이 0이 아니면 이만큼 읽은 뒤로는 읽지 않는다. 핸드셰이크가 끝나기(open) 전이 그렇고, 한 번에 읽는 버퍼 하나까지는
	// 더 읽힌다. read는 지금 메시지에서 읽은 바이트 수이고, 그 소켓의 읽는 고루틴만 쓴다.
	limit, read int
	big         bool            // bigReads의 슬롯을 차지했는지
	quit        <-chan struct{} // 소켓이 닫히면 닫힌다: 슬롯을 기다리던 읽기도 끝난다
}

// bigReads는 16 KiB를 넘는 메시지를 읽고 처리하는 슬롯 둘이다. cpuSlots는 mu 밖에서 CPU를 쓰는 일의 슬롯이고, 코어 수만큼
// 있다. 그런 일은 받은 메시지와 요청 본문의 파싱, 응답의 직렬화이다. 메시지와 요청을 쏟아붓는 피어와 클라이언트가 몇이든,
// 그런 고루틴은 코어 수를 넘지 않는다. 그래서 mu를 잠근 고루틴이 Go의 스케줄러에 밀려나도 곧 다시 돈다. 그러지 않으면 그
// 고루틴이 수십 개의 파싱하는 고루틴 뒤에서 기다려 mu를 600 ms 넘게 잠갔다(TestLimits).
var bigReads, cpuSlots = make(chan struct{}, 2), make(chan struct{}, runtime.GOMAXPROCS(0))

// cpu는 cpuSlots의 슬롯 하나를 기다려 얻고, 돌려줄 함수를 반환한다. defer cpu()()로 쓰며, mu를 잠근 채로 부르면 안 된다.
func cpu() func() { cpuSlots <- struct{}{}; return func() { <-cpuSlots } }

// Read는 r에서 읽는다. 메시지가 16 KiB를 넘으면 슬롯을 기다려 얻고, 그 메시지의 나머지는 writeTimeout 안에 와야 한다.
func (c *limitedConn) Read(p []byte) (int, error) {
	if c.limit > 0 && c.read >= c.limit || c.read > maxFrameBytes+bigMessage { // 핑도 센다: x/net은 핑의 길이를 제한하지 않는다
		return 0, fmt.Errorf("more than %d bytes in a handshake or in a message with its pings", cmp.Or(c.limit, maxFrameBytes+bigMessage))
	} else if c.read > bigMessage && !c.big {
		// 슬롯이 날 때까지 먼저 온 순서대로 기다린다. 채널은 기다리는 쪽을 온 순서대로 깨운다. 기다리는 동안 소켓이 닫히면
		// 기다림도 끝나므로, 기다리는 고루틴은 열린 소켓 수만큼이다. 슬롯을 얻은 메시지는 writeTimeout 안에 다 와야 한다.
		select {
		case bigReads <- struct{}{}:
			c.big = true
			c.SetReadDeadline(time.Now().Add(timeout()))
		case <-c.quit:
			return 0, net.ErrClosed
		}
	}
	n, err := c.Conn.Read(p)
	c.read += n
	return n, err
}

// Write는 연결에 쓴다. 쓰기마다 writeTimeout의 시간 제한을 새로 건다. 그래서 읽지 않는 피어에게 프레임도, 핑에 응답하는 퐁도
// 그보다 오래 막히지 않는다. 퐁은 읽는 고루틴이 쓰므로, 막힌 퐁은 큰 메시지의 슬롯을 쥔 채 읽기를 멈추게 한다.
func (c *limitedConn) Write(p []byte) (int, error) {
	c.SetWriteDeadline(time.Now().Add(timeout()))
	return c.Conn.Write(p)
}

// timeout은 writeTimeout이다. 테스트가 바꾸는 값이라 mu를 잠그고 읽으므로, mu를 잠근 채로 부르면 안 된다.
func timeout() time.Duration { mu.Lock(); defer mu.Unlock(); return writeTimeout }

// done은 메시지 하나를 처리한 뒤에 부른다. 센 바이트를 지우고, 차지한 슬롯을 반납한다.
func (c *limitedConn) done() {
	c.SetReadDeadline(time.Time{})
	if c.read = 0; c.big {
		c.big = false
		<-bigReads
	}
}

// rawKey는 들어온 연결의 limitedConn을 요청의 context에서 찾는 열쇠이다 (websocket.Conn은 아래의 연결을 보이지 않는다).
type rawKey struct{}

// rawListener는 받은 연결마다 limitedConn으로 감싼다.
type rawListener struct{ net.Listener }

// Accept는 연결 하나를 받아 감싼다.
func (l rawListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	return &limitedConn{Conn: c, limit: bigMessage}, err // 에러면 http.Server는 이 연결을 쓰지 않는다
}

// reason은 소켓이 닫힌 이유이다. 피어나 클라이언트가 보낸 값(주소 등)이 들어 있을 수 있어 logSafe로 쓴다.
func (ws *socket) reason() string { return logSafe(fmt.Sprint(context.Cause(ws.ctx))) }

// logSafe는 s의 앞 200글자를 로그 한 줄에 쓸 수 있게 만든다. 줄바꿈, 보이지 않는 문자, ASCII가 아닌 문자는 \u처럼
// 이스케이프해 터미널을 속이는 문자를 그대로 내보내지 않는다. 앞 200글자만 보므로 긴 주소에도 mu를 오래 잠그지 않는다.
func logSafe(s string) string { return strings.Trim(fmt.Sprintf("%+.200q", s), `"`) }

// isClosed는 소켓이 닫혔는지 알려준다.
func (ws *socket) isClosed() bool { return ws.ctx.Err() != nil }

// close는 소켓을 닫는다. 처음 부른 이유가 남고, 기다리는 일이 없다.
func (ws *socket) close(reason error) {
	ws.cancel(reason)
	if ws.raw != nil { // TCP 연결을 닫아 막혀 있는 읽기와 쓰기를 바로 끝낸다. 닫는 프레임은 보내지 않는다
		ws.raw.Close() // 챕터의 ws도 끊긴 연결을 close로 받는다
	}
}

// enqueue는 프레임을 소켓의 대기열에 넣고, 넣었는지 알려준다. 대기열에 maxQueued 개가 차 있으면 받아 가지 못하는 느린 피어로
// 보고 닫는다. 새 프레임으로 모든 대기열의 서로 다른 프레임과 마스킹한 사본들(masks)이 maxQueuedBytes를 넘게 되면, 넣기 전에
// 가장 많이 밀린 소켓부터 닫아 공간을 만든다. 보내는 중인 프레임은 그 쓰기가 끝나야 해제된다. 그래서 열린 소켓들의 대기열을
// 모두 비워도 자리가 나지 않으면, 아무도 닫지 않고 넣지도 않는다(README의 「남는 한계」). mu를 잠근 채로 불러야 한다.
func enqueue(ws *socket, f *frame) bool {
	need := func() int { return f.size * (ws.masks() + max(0, 1-f.holders)) } // 새로 셀 바이트: 마스킹한 사본과, 아무도 쥐지 않은 프레임이면 그 프레임
	for queuedBytes+need() > maxQueuedBytes && !ws.isClosed() {
		fullest, freeable := (*socket)(nil), 0 // 대기열에 가장 많이 밀린 열린 소켓, 대기열들을 비우면 해제될 수 있는 바이트
		for _, s := range sockets {
			if s.backlog > 0 && !s.isClosed() && (fullest == nil || s.backlog > fullest.backlog) {
				fullest = s
			}
			freeable += s.backlog // 나눠 가진 프레임은 여러 번 세므로 많게 어림한다
		}
		if fullest == nil || queuedBytes+need()-freeable > maxQueuedBytes {
			log.Printf("Not sending to %s: %d MiB wait to be sent", ws.addr, queuedBytes>>20)
			return false
		}
		fullest.drop(fmt.Errorf("peer too slow: %d MiB of frames wait to be sent to it", fullest.backlog>>20))
	}
	if ws.isClosed() {
		return false
	} else if len(ws.queue) == cap(ws.queue) {
		ws.drop(fmt.Errorf("peer too slow: %d frames wait to be sent to it", maxQueued))
		return false
	}
	queuedBytes += need()
	f.holders++
	ws.backlog += f.size * (1 + ws.masks())
	ws.queue <- f
	ws.ready.Signal()
	return true
}

// sent는 보냈거나 버린 프레임을 소켓 ws가 다 썼을 때 센 값을 줄인다. 마스킹한 사본의 몫도 줄인다. mu를 잠근 채로 불러야 한다.
func sent(ws *socket, f *frame) {
	f.holders--
	queuedBytes -= f.size * (ws.masks() + max(0, 1-f.holders)) // enqueue의 need와 같은 셈: 아무도 쥐지 않게 된 프레임이면 그 프레임도
}

// take는 대기열에서 프레임 하나를 꺼내고 backlog에서 뺀다 (마스킹한 사본도). mu를 잠근 채로, 대기열이 비지 않았을 때 불러야 한다.
func (ws *socket) take() *frame { f := <-ws.queue; ws.backlog -= f.size * (1 + ws.masks()); return f }

// masks는 우리가 연결한 소켓이면 1, 들어온 연결이면 0이다. 우리가 연결한 소켓에는 ws.url이 있다. x/net은 클라이언트 쪽에서
// 보내는 메시지마다 마스킹한(masked) 사본을 따로 만들고, enqueue가 그것을 센다.
func (ws *socket) masks() int { return min(len(ws.url), 1) }

// drop은 소켓을 닫고 그 대기열을 곧바로 비운다 (release). mu를 잠근 채로 불러야 한다.
func (ws *socket) drop(reason error) { ws.close(reason); release(ws) }

// release는 닫힌 소켓의 대기열에 남은 프레임을 버리고, 그 피어 주소에 다시 연결할 수 있게 한다. mu를 잠근 채로 불러야 한다.
func release(ws *socket) {
	maps.DeleteFunc(dialed, func(_ string, s *socket) bool { return s == ws })
	for len(ws.queue) > 0 {
		sent(ws, ws.take())
	}
	ws.ready.Signal() // 닫힌 소켓의 writePump가 끝나도록
}

// writePump는 소켓의 대기열에 들어온 프레임을 차례로 하나씩 보낸다. 그래서 알림은 체인 순서대로 나간다.
// 프레임은 mu를 잠근 채 대기열에서 꺼내고, 그 바이트를 만들고 보내는 동안에는 mu를 잠그지 않는다.
func writePump(ws *socket) {
	mu.Lock()
	defer mu.Unlock()
	for !ws.isClosed() { // 닫힌 뒤에는 보내지 않는다 (남은 프레임은 release가 버린다)
		if len(ws.queue) == 0 {
			ws.ready.Wait() // mu를 풀고 기다렸다가 다시 잠근다
			continue
		}
		f := ws.take() // 꺼내는 것과 backlog에서 빼는 것이 mu 안에서 함께 일어난다. 그래서 enqueue는 보내는 중인 프레임을 대기열의 것으로 세지 않는다
		mu.Unlock()
		_, err := ws.link.Write(f.text()) // 텍스트 프레임 하나: 쓰기마다 writeTimeout 안이다 (limitedConn.Write)
		mu.Lock()
		sent(ws, f) // 보내는 중인 프레임은 쓰기가 끝나야 해제되고(닫은 연결이면 곧), 그때까지 그 메모리를 쥐고 있다
		if err != nil {
			ws.close(err)
		}
	}
}

// readPump는 소켓에서 프레임을 하나씩 읽어 receive로 처리한다. 텍스트와 바이너리 프레임은 챕터처럼 똑같이 읽는다.
// x/net/websocket은 FIN을 보여 주지 않아, 나눈 메시지의 이어지는 프레임은 따로 읽혀 잘못된 메시지가 된다(챕터의 노드는 나누어
// 보내지 않는다). 챕터의 노드는 연결하자마자 QUERY_LATEST를 보내므로, 첫 메시지가 dialTimeout 안에 오지 않는 연결은 닫는다.
func readPump(ws *socket) {
	defer ws.raw.done() // 읽다가 끊긴 큰 메시지의 슬롯도 반납한다
	ws.link.SetReadDeadline(time.Now().Add(dialTimeout))
	for !ws.isClosed() { // 닫은 소켓의 버퍼에 남은 프레임은 읽지 않는다
		var data []byte
		if err := websocket.Message.Receive(ws.link, &data); err != nil {
			ws.close(err) // 먼저 닫힌 소켓이면 그 이유가 남는다 (첫 메시지를 기다리다 끝났으면 i/o timeout)
			return
		}
		receive(ws, data)
		ws.raw.done() // 첫 메시지의 시간 제한도 지운다
	}
}

// receive는 받은 프레임 하나를 처리한다. mu 없이 readMessage로 파싱하고 해시와 머클 루트를 구한다. 그 뒤에 mu를 잠그고
// "message" 핸들러를 부른다.
func receive(ws *socket, data []byte) {
	defer cpu()() // 파싱하고 mu를 기다리는 동안에도 슬롯을 쥔다. 그래서 CPU를 쓰거나 기다리는 receive는 코어 수까지이다
	message, prepared, err := readMessage(data)
	mu.Lock()
	known = prepared // 챕터의 검증은 mu 밖에서 미리 계산한 머클 루트와 비교만 한다
	defer func() { known = tally{}; mu.Unlock() }()
	// 이 피어가 내 마지막 블록보다 index가 크고 거기에 이어지지 않는 블록 하나를 알렸다면, 그 피어의 체인은 내 것보다 길고
	// 다르다. 그러니 다시 QUERY_ALL을 보낼 수 있다(send). 여러 블록의 응답, 읽지 못한 메시지, 내가 가진 블록이나 바로 추가할
	// 수 있는 블록을 알린 것으로는 그대로이다.
	latest, d := getLatestBlock(), message.Data
	ws.askedAll = ws.askedAll && !(err == nil && len(d) == 1 && d[0].Header.Index > latest.Header.Index && d[0].Header.PreviousHash != calculateHashForBlock(latest))
	// 잘못된 메시지는 한 줄 남기고 센다. maxBadMessages 번째에는 연결을 닫는다
	if err != nil {
		log.Printf("Ignored message from %s: %.300v", ws.addr, err)
		if ws.bad++; ws.bad >= maxBadMessages {
			ws.close(fmt.Errorf("%d bad messages", ws.bad))
		}
	} else if !ws.isClosed() {
		trace("←", ws.addr, describe(message.Type, message.Data))
		for _, handler := range ws.handlers["message"] {
			handler.(func(Message))(message)
		}
		if len(d) > 0 && &blockchain[0] == &d[0] { // 체인이 받은 블록들 그 자체이다 (replaceChain): 그 비용은 미리 구해 두었다
			held = tally{known.tip, known.blocks, known.total, nil}
		}
	}
}

// readMessage는 받은 프레임을 JSON.parse처럼 읽되, JSON.stringify가 쓰는 형식 그대로일 때만 받는다. 다시 쓴 바이트가 받은
// 바이트와 같아야 하므로, 키(대소문자, 같은 키 둘, 더 있는 키)와 수와 잘린 프레임을 Go가 자바스크립트와 다르게 읽을 수 없다.
// UTF-8이 아닌 바이트는 Go가 더 긴 U+FFFD로 읽어 길이를 맞출 수 있어 따로 본다. RESPONSE_BLOCKCHAIN의 블록들은 decodeBlocks가
// 파싱하고 미리 해시한다. 모르는 type은 챕터처럼 받고 넘어간다.
func readMessage(frame []byte) (message Message, prepared tally, err error) {
	var wire struct {
		Type MessageType `json:"type"`
		Data *string     `json:"data"`
	}
	switch {
	case !utf8.Valid(frame) || json.Unmarshal(frame, &wire) != nil || !sameAsStringify(frame, wire.Type, wire.Data):
		err = fmt.Errorf(`%.200q is not {"type":<integer>,"data":null|"<blocks>"} as JSON.stringify writes it`, frame)
	case wire.Type == RESPONSE_BLOCKCHAIN:
		message.Data, prepared, err = decodeBlocks(*cmp.Or(wire.Data, new(string)))
	}
	return Message{Type: wire.Type, Data: message.Data}, prepared, err
}

// sameAsStringify는 frame이 {"type":typ,"data":data}를 JSON.stringify가 쓴 바이트와 같은지 알려준다. 큰 data 문자열은 다시
// 쓰지 않고 길이로 비교한다. JSON.stringify는 그 문자열에 따옴표를 붙이고 "와 \ 만 이스케이프해 쓴다(answerSize). 블록 배열의
// JSON에는 제어 문자가 없기 때문이다. 같은 문자열을 다른 이스케이프, 공백, 더 쓴 키로 다르게 쓴 것은 더 길다. 제어 문자가 든
// data 문자열은 JSON.stringify가 쓴 것이어도 길이가 달라 거부한다. 그런 data는 블록 배열일 수 없다.
func sameAsStringify(frame []byte, typ MessageType, data *string) bool {
	if data == nil {
		return string(frame) == fmt.Sprintf(`{"type":%d,"data":null}`, typ)
	}
	prefix := fmt.Appendf(nil, `{"type":%d,"data":"`, typ)
	return bytes.HasPrefix(frame, prefix) && bytes.HasSuffix(frame, []byte(`"}`)) && len(frame) == len(prefix)+answerSize(*data)+2
}

// decodeBlocks는 RESPONSE_BLOCKCHAIN의 data 문자열을 json.Decoder로 블록 하나씩 파싱한다. 블록마다 다시 쓴 바이트가 받은
// 바이트와 같고 구조와 한계(isValidBlockStructure, withinLimits)에 맞아야 하며, 틀린 블록이나 빈 배열은 메시지 전체를
// 거부한다(initMessageHandler의 차이). 해시는 prepareBlocks가 구한다.
func decodeBlocks(text string) ([]Block, tally, error) {
	dec := json.NewDecoder(strings.NewReader(text))
	if token, err := dec.Token(); err != nil || token != json.Delim('[') || !strings.HasPrefix(text, "[") {
		return nil, tally{}, errors.New("data is not a JSON array of blocks")
	}
	// blocks의 크기는 {"header":의 수로 어림한다. data 안의 그런 객체까지 세어 더 클 수 있다. 하지만 블록 하나는 JSON으로
	// 200바이트가 넘으므로 len(text)/200을 넘지 않고, maxBlocks도 넘지 않는다. 메모리에서 Block 값 하나는 120바이트쯤이라
	// maxBlocks개를 담는 배열은 2 MB이다.
	// end는 앞 블록이 끝난 곳이고, 처음에는 '[' 다음이다. 블록 사이의 공백은 받은 블록의 JSON에 들어가 다시 쓴 것과 달라진다.
	blocks, end := make([]Block, 0, min(strings.Count(text, `{"header":`), len(text)/200, maxBlocks)), int64(1)
	// 블록이 maxBlocks개보다 많은 프레임은 그 뒤를 파싱하지 않고 아래에서 거부한다
	for ; dec.More() && len(blocks) < maxBlocks; end = dec.InputOffset() {
		var block Block
		raw, err := "", dec.Decode(&block)
		if raw = strings.TrimPrefix(text[end:dec.InputOffset()], ","); err == nil && !(isValidBlockStructure(block) && withinLimits(block.Header, block.Data)) {
			err = errors.New("invalid block structure (data not an array) or beyond a limit (version over 256 bytes, index or timestamp beyond 2^53-1, data over 1 MiB)")
		} else if err == nil && string(stringify(block)) != raw {
			err = fmt.Errorf("%.200q is not a block as JSON.stringify writes it", raw)
		}
		if err != nil {
			return nil, tally{}, fmt.Errorf("RESPONSE_BLOCKCHAIN block %d: %.200v", len(blocks), err) // 수 하나가 6천만 자리여도 에러는 200글자까지
		}
		blocks = append(blocks, block)
	}
	if len(blocks) == 0 || text[end:] != "]" {
		return nil, tally{}, fmt.Errorf("data is not a non-empty JSON array of at most %d blocks as JSON.stringify writes it", maxBlocks)
	}
	prepared, err := prepareBlocks(blocks)
	prepared.total.bytes = len(`{"type":2,"data":""}`) + answerSize(text) // 이 프레임의 크기: 보낼 응답도 같은 바이트이다
	return blocks, prepared, err
}

// prepareBlocks는 받은 블록들의 머클 루트와 data 값의 수를 mu 밖에서 미리 계산해 둔다. 챕터의 isValidChain은 앞 블록에
// 이어지지 않는 곳에서 멈춘다. 그래서 그 뒤 블록의 data는 파싱하고 해시하지 않는다. 마지막 블록만은 addBlock이 볼 수 있어 늘
// 구한다. 구한 머클 루트가 헤더의 것과 다른 블록은 유효할 수 없으므로 메시지 전체를 거부한다. 의미 없는 data를 해시하게
// 하려면 보낸 쪽도 그 머클 루트를 구해야 한다. 프레임에서 해시하는 data 값은 maxLeaves 개까지이다.
func prepareBlocks(blocks []Block) (prepared tally, err error) {
	prepared = tally{&blocks[len(blocks)-1].Data[0], len(blocks), cost{}, make(map[*byte]dataFacts, len(blocks))}
	for i, chained := 0, true; i < len(blocks); i++ {
		// 앞 블록의 해시는 이어진 앞부분에서만 구한다: 끊긴 뒤의 블록은 해시하지 않는다
		chained = chained && (i == 0 || blocks[i-1].Header.Index+1 == blocks[i].Header.Index && calculateHashForBlock(blocks[i-1]) == blocks[i].Header.PreviousHash)
		if chained || i == len(blocks)-1 {
			f, err := prepareData(blocks[i].Data, maxLeaves-prepared.total.values)
			if err != nil || f.root != blocks[i].Header.MerkleRoot {
				return prepared, fmt.Errorf("RESPONSE_BLOCKCHAIN block %d: %.200v", i, cmp.Or(err, errors.New("the merkle root is not that of the data (the block can never be valid)")))
			}
			prepared.facts[&blocks[i].Data[0]] = f
			prepared.total.values += f.values
		}
	}
	return prepared, nil
}

// describe는 메시지를 한 줄로 줄인다: 종류와, 블록들이면 그 수와 index 범위 (data는 보이지 않는다).
func describe(t MessageType, blocks []Block) string {
	name := cmp.Or(map[MessageType]string{0: "QUERY_LATEST", 1: "QUERY_ALL", 2: "RESPONSE_BLOCKCHAIN"}[t], fmt.Sprintf("type %d", t))
	if len(blocks) == 1 {
		return fmt.Sprintf("%s 1 block [%d]", name, blocks[0].Header.Index)
	} else if len(blocks) > 1 {
		return fmt.Sprintf("%s %d blocks [%d…%d]", name, len(blocks), blocks[0].Header.Index, blocks[len(blocks)-1].Header.Index)
	}
	return name
}

// trace는 P2P에서 일어난 일 하나(보냄 →, 받음 ←, 열림 +, 닫힘 -)를 -trace이면 로그에 한 줄 출력하고, 노드의
// 페이지를 보는 열린 스트림마다 넣는다. 넣을 공간이 없는(뒤처진) 스트림은 닫는다. mu를 잠근 채로 불러야 한다.
func trace(dir, peer, text string) {
	if *tracing && (dir == "→" || dir == "←") {
		log.Printf("%s %s %s", dir, peer, text)
	}
	event := "data: " + string(stringify(map[string]string{"dir": dir, "peer": peer, "text": text}))
	streams.Range(func(stream, _ any) bool {
		select {
		case stream.(chan string) <- event:
		default: // 뒤처진 스트림: 닫으면 events가 끝난다
			streams.Delete(stream)
			close(stream.(chan string))
		}
		return true
	})
}
