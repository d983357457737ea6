// blocknode는 책의 챕터 2(브로드캐스트) 블록체인 노드를 Go로 옮긴 것이다.
// HTTP API로 블록을 생성하고, 웹소켓으로 다른 노드(Go든 챕터의 자바스크립트든)와 체인을 나눈다.
package main

import (
	"cmp"
	"context"
	"flag"
	"log"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

// 챕터처럼 포트는 HTTP_PORT, P2P_PORT 환경 변수나 3001, 6001이다.
// 챕터와 다른 점: 플래그가 있다. -http_host의 기본은 이 기계(127.0.0.1)이다: 챕터는 모든 주소에서 리슨하지만,
// 이 API로는 누구든 블록을 생성하고 노드를 멈출 수 있다. -p2p_host, -peers, -trace도 챕터에 없다.
var (
	httpHost = flag.String("http_host", "127.0.0.1", "HTTP API가 리슨할 주소")
	httpPort = flag.String("http_port", cmp.Or(os.Getenv("HTTP_PORT"), "3001"), "HTTP API 포트 (0이면 빈 포트 아무거나)") // 챕터의 http_port
	p2pHost  = flag.String("p2p_host", "", "P2P 웹소켓 서버가 리슨할 주소 (기본은 모든 주소)")
	p2pPort  = flag.String("p2p_port", cmp.Or(os.Getenv("P2P_PORT"), "6001"), "P2P 웹소켓 포트 (0이면 빈 포트 아무거나)") // 챕터의 p2p_port
	peers    = flag.String("peers", "", "시작할 때 한 번 연결할 피어들, 쉼표로 구분 (예: ws://127.0.0.1:6002,ws://127.0.0.1:6003)")
	tracing  = flag.Bool("trace", false, "P2P 메시지를 보내고 받을 때마다 한 줄씩 찍는다 (방향, 피어, 종류, 블록 범위)")
)

// main은 두 포트에서 리슨한 뒤 HTTP 서버와 P2P 서버를 열고, 처음 피어들에 연결하고, POST /stop이나 Ctrl-C를 기다린다.
// 챕터와 다른 점: 로그(console.log 대신 Go의 log)는 줄마다 날짜와 시각이 붙고 표준 에러로 나간다.
// 챕터에서는 app.listen의 콜백이 나중에 돌아 P2P 줄이 먼저 찍히지만, 여기서는 HTTP 줄이 먼저이다.
func main() {
	flag.Parse()
	stopping, stop = signal.NotifyContext(stopping, os.Interrupt, syscall.SIGTERM) // Ctrl-C도 POST /stop처럼 멈춘다

	httpListener, httpErr := net.Listen("tcp", net.JoinHostPort(*httpHost, *httpPort))
	p2pListener, p2pErr := net.Listen("tcp", net.JoinHostPort(*p2pHost, *p2pPort))
	if err := cmp.Or(httpErr, p2pErr); err != nil { // 포트를 이미 쓰고 있으면 어떻게 바꾸는지 덧붙인다
		log.Fatalf("%v (choose other ports with -http_port and -p2p_port, or HTTP_PORT and P2P_PORT)", err)
	}
	httpServer := initHttpServer(httpListener)
	p2pServer := initP2PServer(p2pListener)
	mu.Lock()
	connectToPeers(strings.FieldsFunc(*peers, func(r rune) bool { return r == ',' || r == ' ' })) // 쉼표로 구분한 주소들
	mu.Unlock()

	<-stopping.Done()
	log.Println("Stopping server") // 챕터와 다른 점: 챕터는 /stop에 아무것도 찍지 않고 바로 끝나며, Ctrl-C에는 시그널로 죽는다
	// Shutdown은 새 요청을 받지 않고, 진행 중인 응답(/stop의 응답도)이 다 나가기를 2초까지 기다린다.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	httpServer.Shutdown(ctx)
	p2pServer.Close() // 열려 있는 웹소켓들은 프로세스가 끝나며 닫힌다
}

// ---- 챕터에 없는 것 ----

// main.go에서 챕터에 없는 것(플래그, 미리 여는 리슨 소켓과 포트를 바꾸는 안내, -peers, Ctrl-C, 응답을 마저 보내고 끝내는 Shutdown)은
// 위의 그 줄에 적었다. 노드를 멈추는 stopping과 stop은 POST /stop과 함께 http.go에 있다.
