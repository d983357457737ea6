// blocknode는 책의 챕터 2(브로드캐스트) 블록체인 노드를 Go로 옮긴 것이다. HTTP API로 블록을 생성하고, 웹소켓으로
// 다른 노드(Go든 챕터의 자바스크립트든)와 체인을 공유한다. Go 문법은 README의 「Go를 처음 보면」 표에, 주석의 표시는
// chain.go 머리말에 있다.
package main

import (
	"cmp"
	"context"
	"flag"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

// 챕터처럼 포트는 HTTP_PORT, P2P_PORT 환경 변수나 3001, 6001이다. (main.js 141–142행)
// 챕터와 다른 점: 플래그가 있고, HTTP는 기본으로 이 컴퓨터(127.0.0.1)에서만 리슨한다. P2P는 IPv4 주소(챕터의 ws 1.1.5는
// '0.0.0.0')만이 아니라 IPv6 주소에서도 리슨한다.
var (
	httpHost   = flag.String("http_host", "127.0.0.1", "HTTP API가 리슨할 주소")
	httpPort   = flag.String("http_port", cmp.Or(os.Getenv("HTTP_PORT"), "3001"), "HTTP API 포트 (0이면 사용 가능한 임의의 포트)") // 챕터의 http_port
	p2pHost    = flag.String("p2p_host", "", "P2P 웹소켓 서버가 리슨할 주소 (기본은 IPv6까지 모든 주소)")
	p2pPort    = flag.String("p2p_port", cmp.Or(os.Getenv("P2P_PORT"), "6001"), "P2P 웹소켓 포트 (0이면 사용 가능한 임의의 포트)") // 챕터의 p2p_port
	startPeers = flag.String("peers", "", "시작할 때 한 번 연결할 피어들, 쉼표나 공백으로 구분 (예: ws://127.0.0.1:6002,ws://127.0.0.1:6003)")
	tracing    = flag.Bool("trace", false, "P2P 메시지를 보내고 받을 때마다 한 줄씩 출력한다 (방향, 피어, 종류, 블록 범위)")
)

// main은 챕터의 끝처럼 HTTP 서버와 P2P 서버를 연다. (main.js 336–337행)
func main() {
	flag.Parse()
	// 챕터와 다른 점: 두 포트를 먼저 열고, 사용 중이면 바꿀 플래그를 알리고 끝난다.
	httpListener, p2pListener, err := setUp()
	if err != nil {
		log.Fatalf("%v (choose other ports with -http_port and -p2p_port, or HTTP_PORT and P2P_PORT)", err)
	}
	// Node.js는 스크립트를 끝까지 실행한 뒤에야 콜백을 처리한다. 그래서 main이 mu를 잠근 동안 들어온 연결, 메시지,
	// 요청은 mu를 푼 뒤에 처리된다.
	mu.Lock()
	initHttpServer(httpListener) // initHttpServer();
	initP2PServer(p2pListener)   // initP2PServer();
	// 챕터와 다른 점: 쉼표나 공백으로 나눈 -peers의 주소들에도 연결한다.
	connectToPeers(strings.Fields(strings.ReplaceAll(*startPeers, ",", " ")))
	mu.Unlock()
	// 챕터와 다른 점: POST /stop이나 Ctrl-C(SIGTERM도)가 오면 응답을 2초까지 마저 보내고 코드 0으로 끝난다.
	run()
}

// ---- 챕터에 없는 것 ----

// setUp은 로그를 console.log처럼 날짜 없이 표준 출력으로 쓰게 한다. Ctrl-C(SIGINT)와 SIGTERM도 POST /stop처럼 노드를
// 멈추게 하고(stopping을 끝낸다), 두 포트를 연다. 시그널은 포트를 열기 전에 받아, 시작하자마자 온 Ctrl-C에도 멈춘다.
func setUp() (net.Listener, net.Listener, error) {
	log.SetFlags(0)
	log.SetOutput(os.Stdout)
	stopping, _ = signal.NotifyContext(stopping, os.Interrupt, syscall.SIGTERM) // 시그널도 stopping을 끝낸다 (멈추는 동안 온 시그널도 받는다)
	httpListener, err := net.Listen("tcp", net.JoinHostPort(*httpHost, *httpPort))
	p2pListener, err2 := net.Listen("tcp", net.JoinHostPort(*p2pHost, *p2pPort))
	return httpListener, p2pListener, cmp.Or(err, err2)
}

// portOf는 ln이 리슨하는 포트 번호이다. -http_port나 -p2p_port가 0이면 운영체제가 고른 포트이다.
func portOf(ln net.Listener) int { return ln.Addr().(*net.TCPAddr).Port }

// stopping은 노드가 멈추면 끝나는 context이고 HTTP 요청들의 context이다. POST /stop이 stop을 부르고, Ctrl-C도 끝낸다 (setUp).
var stopping, stop = context.WithCancel(context.Background())

// httpServer는 initHttpServer가 연 서버이다. run과 테스트가 닫는다.
var httpServer *http.Server

// run은 POST /stop이나 Ctrl-C를 기다린다. 그 뒤 /stop의 응답을 비롯해 진행 중인 응답을 2초까지 마저 보낸다. 열려 있는
// 웹소켓들은 프로세스가 끝나며 닫힌다.
func run() {
	<-stopping.Done()
	time.AfterFunc(2*time.Second, func() { httpServer.Close() }) // 2초 뒤에도 남은 연결은 닫는다
	httpServer.Shutdown(context.Background())                    // 새 요청은 받지 않고, 진행 중인 응답이 나가기를 기다린다
}
