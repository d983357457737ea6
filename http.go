// http.go 는 챕터 2 의 HTTP API(Express 의 app.get, app.post)를 옮긴 것이다.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"
	"unicode/utf8"
)

// initHttpServer 는 리슨하는 ln 에서 HTTP API 를 연다.
// 핸들러마다 챕터의 로직은 mu 를 잡고 돌리고(chain.go), 답을 쓰는 일은 mu 를 놓은 뒤에 한다.
func initHttpServer(ln net.Listener) *http.Server {
	mux := http.NewServeMux()

	// GET /blocks: 블록체인 전체
	mux.HandleFunc("GET /blocks", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		blocks := *chainJSON() // res.send(getBlockchain()) 의 JSON.stringify
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		io.WriteString(w, blocks)
	})

	// POST /mineBlock {"data":[…]}: 새 블록을 생성해 돌려준다
	mux.HandleFunc("POST /mineBlock", func(w http.ResponseWriter, r *http.Request) {
		body, ok := readBody(w, r)
		if !ok {
			return
		}
		var data []json.RawMessage
		// 챕터와 다른 점: 배열이 아닌 data 에 챕터는 500(TypeError)으로 답한다. 여기서는 400 이다.
		if err := orEmpty(body["data"], &data); err != nil { // req.body.data || []
			sendError(w, http.StatusBadRequest, `want {"data":[values]}: data `+err.Error())
			return
		}
		mu.Lock()
		newBlock := mineBlock(data)
		mu.Unlock()
		if newBlock == nil {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, "Bad Request")
			return
		}
		sendJSON(w, http.StatusOK, newBlock)
	})

	// GET /version: 이 노드의 버전 문자열 (res.send 에 문자열을 주면 Express 는 text/html 로 보낸다)
	mux.HandleFunc("GET /version", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, getCurrentVersion())
	})

	// POST /stop: 답한 뒤 프로세스를 끝낸다
	mux.HandleFunc("POST /stop", func(w http.ResponseWriter, r *http.Request) {
		sendJSON(w, http.StatusOK, map[string]string{"msg": "Stopping server"})
		// 챕터와 다른 점: 챕터는 process.exit() 로 바로 끝낸다. 여기서는 main 이 이 답이 나가기를 기다렸다가
		// 두 서버를 닫고 끝난다 (종료 코드 0, Ctrl-C 와 같은 길).
		stopOnce.Do(func() { close(stopping) })
	})

	// GET /peers: 연결된 소켓마다 "주소:포트"
	mux.HandleFunc("GET /peers", func(w http.ResponseWriter, r *http.Request) {
		peers := []string{}
		mu.Lock()
		for _, s := range getSockets() {
			// s._socket.remoteAddress + ':' + s._socket.remotePort (IPv6 주소도 챕터처럼 [ ] 없이 "::1:6002")
			// 챕터와 다른 점: Node 는 들어온 연결의 IPv4 주소를 "::ffff:127.0.0.1" 처럼 보인다. Go 는 "127.0.0.1" 이다.
			host, port, _ := net.SplitHostPort(s.addr)
			peers = append(peers, host+":"+port)
		}
		mu.Unlock()
		sendJSON(w, http.StatusOK, peers)
	})

	// POST /addPeers {"peers":[…]}: 피어마다 웹소켓을 연다. Express 는 경로의 대소문자를 가리지 않아
	// 챕터에서는 노트의 철자 /addpeers 도 된다. Go 의 ServeMux 는 가리므로 두 철자를 다 등록한다.
	addPeers := func(w http.ResponseWriter, r *http.Request) {
		body, ok := readBody(w, r)
		if !ok {
			return
		}
		var peers []string
		// 챕터와 다른 점: 챕터는 문자열이 아닌 주소에 예외를 던진다(500). 여기서는 400 이다.
		if err := orEmpty(body["peers"], &peers); err != nil { // req.body.peers || []
			sendError(w, http.StatusBadRequest, `want {"peers":["ws://127.0.0.1:6002"]}: peers `+err.Error())
			return
		} else if len(peers) > maxPeers { // 챕터와 다른 점: 요청 하나에 피어 주소는 maxPeers 개까지이다.
			sendError(w, http.StatusBadRequest, fmt.Sprintf("at most %d peers in one request", maxPeers))
			return
		}
		mu.Lock()
		connectToPeers(peers)
		mu.Unlock()
		w.WriteHeader(http.StatusOK) // res.send()
	}
	mux.HandleFunc("POST /addPeers", addPeers)
	mux.HandleFunc("POST /addpeers", addPeers)

	// 챕터와 다른 점: 없는 경로에는 404, 맞지 않는 메서드에는 405 를 Go 의 ServeMux 가 문자열로 답한다 (Express 는 둘 다 HTML 404).
	// 위에 없는 대소문자(/Blocks)나 끝에 / 를 붙인 경로도 404 이다 (Express 는 받는다).

	// 챕터와 다른 점: 다른 사이트의 웹 페이지가 브라우저를 시켜 보내는 POST(블록 생성, 피어 추가, /stop)는 403 으로 거절한다.
	// curl 같은 브라우저가 아닌 클라이언트는 그대로 쓸 수 있다. 요청을 읽고 답을 쓰는 시간에도 한계를 둔다.
	protection := http.NewCrossOriginProtection()
	protection.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sendError(w, http.StatusForbidden, "cross-origin request from a web page refused")
	}))
	srv := &http.Server{Addr: ln.Addr().String(), Handler: protection.Handler(mux), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute, WriteTimeout: time.Minute}
	go srv.Serve(ln)
	log.Printf("Listening http port on: %d", ln.Addr().(*net.TCPAddr).Port)
	return srv
}

// ---- 챕터에 없는 것 ----

// maxBodyBytes 는 HTTP 요청 몸체의 최대 크기이다.
// 챕터와 다른 점: 챕터(body-parser)의 기본 한계 100 KB 보다 넉넉히 1 MiB 까지 받고, 넘으면 413 으로 답한다.
const maxBodyBytes = 1 << 20

// stopping 은 POST /stop 이 오면 닫힌다. main 이 이것을 기다렸다가 서버들을 닫고 끝난다.
var (
	stopping = make(chan struct{})
	stopOnce sync.Once
)

// readBody 는 요청 몸체를 body-parser 의 json() 과 JSON.parse 처럼 읽는다: 빈 몸체는 {}, 객체가 아닌 배열 몸체도 키가 없는 것과 같고,
// 키는 대소문자까지 같아야 하며 같은 키는 뒤의 것이다. 안 되면 400 이나 413 으로 답하고 false 를 돌려준다.
// 챕터와 다른 점: body-parser 는 Content-Type 이 JSON 일 때만 몸체를 읽지만 여기서는 늘 JSON 으로 읽는다
// (curl -d 에 헤더를 빠뜨려도 된다). 몸체는 1 MiB 까지이고(body-parser 는 100 KB), UTF-8 이 아니면 400 이다.
func readBody(w http.ResponseWriter, r *http.Request) (map[string]json.RawMessage, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		sendError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body larger than %d bytes", maxBodyBytes))
		return nil, false
	} else if err != nil {
		sendError(w, http.StatusBadRequest, err.Error())
		return nil, false
	}
	fields := map[string]json.RawMessage{}
	switch body = bytes.TrimSpace(body); {
	case len(body) == 0:
	case !utf8.Valid(body) || body[0] != '{' && body[0] != '[': // body-parser 의 strict: 객체나 배열만 받는다
		sendError(w, http.StatusBadRequest, `the body must be a JSON object, like {"data":["hello"]}`)
		return nil, false
	case body[0] == '[' && json.Valid(body):
	default:
		if err := json.Unmarshal(body, &fields); err != nil {
			sendError(w, http.StatusBadRequest, "the body is not valid JSON: "+err.Error())
			return nil, false
		}
	}
	return fields, true
}

// orEmpty 는 자바스크립트의 req.body.X || [] 를 v 에 푼다: 값이 없거나 거짓(null, false, 0, "")이면 [] 이고, 아니면 그 값을
// JSON.stringify(JSON.parse(…)) 의 형식(canonicalJSON)으로 읽는다. 배열이 아니면 에러이다.
func orEmpty(raw json.RawMessage, v any) error {
	value, err := canonicalJSON(raw)
	if raw == nil || slices.Contains([]string{"null", "false", "0", `""`}, string(value)) {
		value, err = json.RawMessage(`[]`), nil
	} else if err == nil && value[0] != '[' {
		err = errors.New("is not a JSON array")
	}
	if err == nil {
		err = json.Unmarshal(value, v)
	}
	return err
}

// sendJSON 은 v 를 JSON.stringify 한 문자열로 답한다 (Express 의 res.send(객체) 처럼 끝에 줄바꿈이 없다).
func sendJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(stringify(v))
}

// sendError 는 {"error":"…"} 로 답한다.
// 챕터와 다른 점: 잘못된 몸체에 Express 는 HTML 에러 페이지를 보낸다. 여기서는 까닭을 담은 JSON 한 줄이다.
func sendError(w http.ResponseWriter, status int, msg string) {
	sendJSON(w, status, map[string]string{"error": msg})
}
