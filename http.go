// http.go에는 챕터 2의 HTTP API(Express의 app.get, app.post)가 들어 있다. 노드의 페이지(page.html)도 여기서 보낸다.
// 주석의 표시는 chain.go 머리말에 있다.
package main

import (
	"bytes"
	"cmp"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"mime"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/netutil"
)

// initHttpServer는 ln(main이 미리 연 포트)에서 HTTP API를 연다. 체인과 소켓을 다루는 부분만 mu를 잠근다. (main.js 154–190행)
// 챕터와 다른 점: 경로는 글자 그대로 같아야 한다(/mineblock과 /blocks/는 404, /addpeers만 따로 받는다). ETag(304),
// OPTIONS 자동 응답, X-Powered-By 헤더가 없고, 노드의 페이지(GET /)와 GET /events가 더 있다.
// 챕터와 다른 점: localhost나 IP 주소가 아닌 호스트 이름으로 온 요청은 421, 다른 사이트의 웹 페이지가 보낸 POST는 403이다.
// 챕터와 다른 점: 본문은 /mineBlock과 /addPeers에서만 읽는다. 챕터는 모든 경로에서 읽으므로, application/json 본문이
// 잘못되면 GET도 400이고 /stop은 멈추지 않는다.
// 챕터와 다른 점: (한계) 잘못된 요청에는 다르게 답하고(405, 307 등), 요청의 수, 크기, 시간에 한계가 있다 (README 표).
func initHttpServer(ln net.Listener) {
	app := http.NewServeMux() // const app = express(). app.use(bodyParser.json())은 readBody가 한다

	// GET /blocks: 블록체인 전체
	app.HandleFunc("GET /blocks", func(res http.ResponseWriter, req *http.Request) {
		mu.Lock()
		// 챕터에 없는 최적화: 응답의 바이트는 mu를 푼 뒤 body.text()가 만든다(체인이 바뀌었을 때만 새로).
		body := stringifyChain(getBlockchain())
		mu.Unlock()
		respond(res, http.StatusOK, "application/json", body.text()) // res.send(getBlockchain())
	})

	// POST /mineBlock {"data":[…]}: 새 블록을 생성해 반환한다
	// 노트와 다른 점: 노트의 코드 function (req, res) {/ … }에는 여는 중괄호 뒤에 /가 하나 더 있어 문법 오류이다.
	// 챕터와 다른 점: Content-Type이 application/json이 아니면 응답한 뒤 연결을 닫는다(빈 블록을 생성하는 것은 챕터와 같다).
	// 챕터와 다른 점: (한계) data 안에 UTF-8이 아닌 바이트(EUC-KR 등)가 있으면 400이다.
	// 챕터와 다른 점: (한계) 배열이 아닌 data(0, "", false, null은 챕터처럼 []), 1e400 등에는 400이나 415로 답한다 (README 표).
	app.HandleFunc("POST /mineBlock", func(res http.ResponseWriter, req *http.Request) {
		var data json.RawMessage
		if !readBody(res, req, "data", &data) { // const data = req.body.data || []
			return
		}
		mu.Lock()
		newBlock := mineBlock(data)
		mu.Unlock()
		if newBlock == nil { // newBlock === null (노트와 다른 점: 노트는 ==)
			respond(res, http.StatusBadRequest, "text/html", []byte("Bad Request")) // res.status(400).send('Bad Request')
			return
		}
		respond(res, http.StatusOK, "application/json", stringify(newBlock)) // res.send(newBlock)
	})

	// GET /version: 이 노드의 버전. res.send에 문자열을 주면 Express는 text/html로 보낸다
	app.HandleFunc("GET /version", func(res http.ResponseWriter, req *http.Request) {
		respond(res, http.StatusOK, "text/html", []byte(getCurrentVersion())) // res.send(getCurrentVersion())
	})

	// POST /stop: 응답한 뒤 프로세스를 끝낸다
	app.HandleFunc("POST /stop", func(res http.ResponseWriter, req *http.Request) {
		respond(res, http.StatusOK, "application/json", stringify(map[string]string{"msg": "Stopping server"})) // res.send({"msg": "Stopping server"})
		// 챕터와 다른 점: process.exit() 대신 응답이 나간 뒤 run(main.go)이 끝낸다. 2초까지 기다리고, 그동안 P2P도 돈다.
		stop()
	})

	// GET /peers: 연결된 소켓마다 "주소:포트"
	app.HandleFunc("GET /peers", func(res http.ResponseWriter, req *http.Request) {
		peers := []string{}
		mu.Lock()
		for _, s := range getSockets() {
			// s._socket.remoteAddress + ':' + s._socket.remotePort (IPv6 주소도 챕터처럼 [ ] 없이 "::1:6002")
			host, port, _ := net.SplitHostPort(s.addr)
			peers = append(peers, host+":"+port)
		}
		mu.Unlock()
		respond(res, http.StatusOK, "application/json", stringify(peers)) // res.send(peers)
	})

	// POST /addPeers {"peers":[…]}: 피어마다 웹소켓을 연다.
	// 노트와 다른 점: 노트는 /addpeers로 적었다. Express는 대소문자를 가리지 않아 챕터도 받으므로 이 철자도 받는다.
	// 챕터와 다른 점: null과 호스트가 없는 주소는 "Connection failed"를 출력하고 건너뛴다(챕터는 500으로 응답하고 그 뒤의 주소에는
	// 연결하지 않는다). Content-Type은 /mineBlock과 같다.
	// 챕터와 다른 점: (한계) 배열이 아닌 peers(0, "", false, null은 챕터처럼 []), 문자열이 아닌 주소, UTF-8이 아닌 바이트 등은
	// 400이다 (README 표).
	addPeers := func(res http.ResponseWriter, req *http.Request) {
		var peers []string
		if !readBody(res, req, "peers", &peers) { // const peers = req.body.peers || []
			return
		} else if len(peers) > maxPeers { // 챕터와 다른 점: (한계) 주소가 64개를 넘으면 400
			sendError(res, http.StatusBadRequest, fmt.Sprintf("at most %d peers in one request", maxPeers))
			return
		}
		mu.Lock()
		connectToPeers(peers) // 노트와 다른 점: 주소를 "담는" 것이 아니라 주소마다 웹소켓 연결을 연다
		mu.Unlock()
		res.WriteHeader(http.StatusOK) // res.send()
	}
	app.HandleFunc("POST /addPeers", addPeers)
	app.HandleFunc("POST /addpeers", addPeers)

	// app.listen(http_port, function () { console.log(…) })의 콜백은 챕터처럼 main이 mu를 푼 뒤에 실행된다.
	// 챕터와 다른 점: 기본으로 이 컴퓨터(127.0.0.1)에서만 리슨하고(-http_host), 실제로 리슨하는 포트를 출력한다. 먼저 온 P2P
	// 연결이나 메시지가 이 줄보다 먼저 로그에 나올 수 있다(Node.js는 이 콜백을 먼저 부른다).
	httpServer = serve(ln, app, func() { log.Printf("Listening http port on: %d", portOf(ln)) })
}

// ---- 챕터에 없는 것 ----
// 이 아래에 있는 것: 한계, 노드의 페이지, 요청의 한계와 다른 사이트의 POST(serve), bodyParser.json()(readBody), res.send(respond),
// 노드의 페이지가 받는 이벤트(events).

const (
	maxBodyBytes = 100 << 10 // HTTP 요청 본문의 최대 크기: body-parser의 기본 한계 100 KB와 같다 (넘으면 413)
	maxHTTPConns = 64        // HTTP 연결 수의 한계 (더 오는 연결은 슬롯이 날 때까지 기다린다)
	maxStreams   = 4         // 노드의 페이지가 여는 이벤트 스트림 수의 한계
	streamBuffer = 64        // 스트림 하나가 보내지 못하고 쌓아 둘 수 있는 이벤트 수: 넘게 뒤처진 스트림은 닫는다
)

var (
	bodyReaders = make(chan struct{}, 4) // 본문을 읽고 일하는 요청(/mineBlock, /addPeers)의 슬롯: 본문과 파싱한 값을 쥔 요청 수의 한계
	// slots는 한 번에 실행되는 요청 수에 한계가 있는 경로들과 그 슬롯이다. 다른 요청은 슬롯이 날 때까지 기다린다(serve).
	// GET /blocks는 둘까지이다. 느린 클라이언트가 저마다 체인의 한 버전을 쥐지 못하게 한다.
	slots = map[string]chan struct{}{"GET /blocks": make(chan struct{}, 2), "POST /mineBlock": bodyReaders, "POST /addPeers": bodyReaders,
		"POST /addpeers": bodyReaders, "GET /events": make(chan struct{}, maxStreams)}
	streams        sync.Map      // 노드의 페이지가 연 이벤트 스트림들: chan string마다 true
	requestTimeout = time.Minute // 요청 하나가 도는 최대 시간: 본문 읽기, 슬롯 기다리기, 응답 쓰기, 이벤트 스트림 (테스트가 줄인다)
)

// page는 노드의 페이지이다: 체인을 카드로, 피어들, 블록 생성과 피어 추가, 이 노드가 주고받는 P2P 메시지를 보여 준다.
//
//go:embed page.html
var page []byte

// serve는 mu를 잠글 수 있게 되면 listening을 부르고, 그 뒤에 ln에서 app으로 HTTP를 받는다. 챕터에 없는 두 경로를 더한다.
// 노드의 페이지(GET /)와 그 페이지가 보는 P2P 메시지의 스트림(GET /events)이다. 다른 사이트의 웹 페이지가 보낸 POST는
// 403이다. IP 주소나 localhost가 아닌 호스트는 421이다. 그런 호스트는 DNS 리바인딩으로 그 이름이 이 컴퓨터를 가리키게 한 웹
// 페이지일 수 있다. 연결 수, 요청 헤더, 읽고 쓰는 시간과 유휴 시간, 경로마다 실행되는 요청 수(slots)에 한계를 둔다.
func serve(ln net.Listener, app *http.ServeMux, listening func()) *http.Server {
	app.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { respond(w, http.StatusOK, "text/html", page) })
	app.HandleFunc("GET /events", events)
	// 다른 사이트의 웹 페이지가 보낸 POST는 403이다. 그 밖의 요청은 경로의 슬롯(slots)을 얻은 뒤 app이 받는다
	guarded := http.NewCrossOriginProtection().Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := app.Handler(r); slots[pattern] != nil {
			select {
			case slots[pattern] <- struct{}{}:
				defer func() { <-slots[pattern] }()
			case <-r.Context().Done(): // requestTimeout이 지났거나, 노드가 멈추거나, 클라이언트가 끊었다
				sendError(w, http.StatusServiceUnavailable, "the node is busy or stopping: try again")
				return
			}
		}
		app.ServeHTTP(w, r)
	}))
	srv := &http.Server{Addr: ln.Addr().String(), Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if host := (&url.URL{Host: r.Host}).Hostname(); net.ParseIP(host) == nil && host != "localhost" && host != "" { // ""는 Host가 없는 HTTP/1.0
			sendError(w, http.StatusMisdirectedRequest, "use an IP address or localhost as the host")
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), requestTimeout) // 슬롯을 기다리는 요청과 이벤트 스트림도 끝나게 한다
		defer cancel()
		guarded.ServeHTTP(w, r.WithContext(ctx))
	}), MaxHeaderBytes: maxHeaderBytes, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: requestTimeout, WriteTimeout: requestTimeout,
		IdleTimeout: 5 * time.Second, BaseContext: func(net.Listener) context.Context { return stopping }, DisableGeneralOptionsHandler: true}
	go func() { mu.Lock(); listening(); mu.Unlock(); srv.Serve(netutil.LimitListener(ln, maxHTTPConns)) }() // 챕터처럼 콜백 뒤에 요청을 받는다
	return srv
}

// readBody는 req.body[key] || []를 v에 읽는다. 본문은 body-parser의 json()과 JSON.parse처럼 읽는다. Content-Type이
// application/json이 아니거나 빈 본문은 {}이다. 배열 본문에는 key가 없다. 키는 대소문자까지 같아야 하고, 같은 키는 뒤의
// 것이다. 값이 없거나 거짓(null, false, 0, "")이면 []이다. 아니면 JSON.stringify(JSON.parse(…))의 형식(canonicalJSON)으로
// 읽는다. 안 되면 400, 413, 415로 응답하고 false를 반환한다.
func readBody(w http.ResponseWriter, r *http.Request, key string, v any) bool {
	contentType := r.Header.Get("Content-Type")
	mediaType, params, typeErr := mime.ParseMediaType(contentType)
	if contentType == "" || typeErr == nil && mediaType != "application/json" || strings.HasSuffix(contentType, ";") || strings.Contains(contentType, "\t") {
		// body-parser의 json()은 이 본문을 읽지 않는다. type-is가 받지 않는 "application/json;"과 탭이 든 type도 그렇다.
		// 그러면 챕터는 빈 블록을 생성한다.
		w.Header().Set("Connection", "close") // 그러면 net/http도 응답하기 전에 남은 본문을 읽지 않는다
		r.Body = http.NoBody
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	body = bytes.TrimPrefix(body, []byte("\ufeff")) // body-parser(iconv-lite)처럼 UTF-8 BOM을 뗀다
	defer cpu()()                                   // 읽은 본문을 파싱하는 동안 (cpuSlots)
	fields, status := map[string]json.RawMessage{}, http.StatusBadRequest
	switch start := bytes.TrimLeft(body, " \t\r\n"); { // JSON.parse가 건너뛰는 공백만
	case errors.As(err, new(*http.MaxBytesError)):
		status, err = http.StatusRequestEntityTooLarge, fmt.Errorf("request body larger than %d bytes", maxBodyBytes)
	case err != nil, len(body) == 0: // 빈 본문은 {}이다
	case typeErr != nil || !strings.EqualFold(cmp.Or(params["charset"], "utf-8"), "utf-8"): // 같은 인자가 둘인 type도
		status, err = http.StatusUnsupportedMediaType, errors.New("send the body as application/json in UTF-8")
	case len(start) == 0 || start[0] != '{' && start[0] != '[': // body-parser의 strict: 객체나 배열만 받는다
		err = errors.New(`the body must be a JSON object, like {"data":["hello"]}`)
	case start[0] == '{' || !json.Valid(body):
		err = json.Unmarshal(body, &fields)
	}
	value, _, canonicalErr := canonicalJSON(fields[key])
	if fields[key] == nil || slices.Contains([]string{"null", "false", "0", `""`}, string(value)) {
		value, canonicalErr = json.RawMessage(`[]`), nil
	} else if canonicalErr == nil && value[0] != '[' {
		canonicalErr = fmt.Errorf("%s is not a JSON array", key)
	}
	if err = cmp.Or(err, canonicalErr, json.Unmarshal(value, v)); err != nil {
		sendError(w, status, err.Error())
	} else if data, ok := v.(*json.RawMessage); ok { // 생성할 블록의 data: 머클 루트와 값의 수를 mu 밖에서 미리 계산해 둔다 (bodies)
		f, _ := prepareData(*data, maxLeaves)
		bodies.Store(&(*data)[0], f)
	}
	return err == nil
}

// respond는 status와 Content-Type으로 body를 응답한다. Express의 res.send는 문자열을 text/html로 보낸다. 객체는
// JSON.stringify 해 끝에 줄바꿈 없이 application/json으로 보낸다.
func respond(w http.ResponseWriter, status int, contentType string, body []byte) {
	w.Header().Set("Content-Type", contentType+"; charset=utf-8")
	w.Header().Set("Content-Length", fmt.Sprint(len(body))) // Express처럼: 없으면 net/http는 2 KB가 넘는 본문을 chunked로 보낸다
	w.WriteHeader(status)
	w.Write(body)
}

// sendError는 {"error":"…"}로 응답한다.
// (/mineBlock에 적은 차이) 잘못된 본문에 Express는 HTML 에러 페이지를 보낸다. 여기서는 이유를 담은 JSON 한 줄이다.
func sendError(w http.ResponseWriter, status int, msg string) {
	respond(w, status, "application/json", stringify(map[string]string{"error": msg}))
}

// events는 GET /events이다. 이 노드가 주고받는 P2P 메시지의 요약을 Server-Sent Events로 보낸다. 요약은 -trace의 한 줄과 같고,
// data는 없다. 스트림은 maxStreams 개까지이다. 더 여는 페이지는 슬롯이 날 때까지 requestTimeout까지 기다린다. 다른 사이트의
// 페이지가 연 스트림은 Sec-Fetch-Site나 Origin으로 알아보고 거부한다. streamBuffer 개 넘게 뒤처진 스트림은 닫는다.
func events(w http.ResponseWriter, r *http.Request) {
	site, origin := r.Header.Get("Sec-Fetch-Site"), r.Header.Get("Origin") // 브라우저가 아니면 둘 다 없다
	if site != "" && site != "same-origin" && site != "none" || origin != "" && origin != "http://"+r.Host {
		sendError(w, http.StatusForbidden, "cross-site event stream refused")
		return
	}
	stream := make(chan string, streamBuffer)
	streams.Store(stream, true)
	defer streams.Delete(stream)
	w.Header().Set("Content-Type", "text/event-stream")
	for event, open := "retry: 1000", true; open; { // 스트림은 requestTimeout에 끝나고, 페이지는 1초 뒤 다시 연다
		if _, err := fmt.Fprintf(w, "%s\n\n", event); err != nil || http.NewResponseController(w).Flush() != nil {
			return
		}
		select {
		case event, open = <-stream: // 뒤처져서 닫힌 스트림이면 open이 false이다
		case <-r.Context().Done(): // requestTimeout이 지났거나 노드가 멈췄다(stopping). 서버의 Shutdown은 열린 스트림을 기다린다
			return
		}
	}
}
