// http.go 는 챕터 2 의 HTTP API(Express 의 app.get / app.post)를 옮긴 것이다.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"sync"
	"time"
)

// maxBodyBytes 는 HTTP 요청 몸체의 최대 크기이다.
// 챕터와 다른 점: 챕터(body-parser)의 기본값 100 KB 보다 넉넉하게 1 MiB 까지 받고, 넘으면 413 으로 답한다.
const maxBodyBytes = 1 << 20

// stopping 은 POST /stop 이 오면 닫힌다. main 이 이것을 기다렸다가 서버들을 닫고 끝난다.
var (
	stopping = make(chan struct{})
	stopOnce sync.Once
)

// initHttpServer 는 HTTP API 를 열고, 들은 주소를 Addr 에 담은 서버를 돌려준다.
func initHttpServer(host, port string) (*http.Server, error) {
	mux := http.NewServeMux()

	// GET /blocks: 블록체인 전체
	mux.HandleFunc("GET /blocks", func(w http.ResponseWriter, r *http.Request) {
		sendJSON(w, http.StatusOK, getBlockchain())
	})

	// POST /mineBlock {"data":[…]}: 새 블록을 캐서 돌려준다 (data 가 없으면 [])
	mux.HandleFunc("POST /mineBlock", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Data []string `json:"data"`
		}
		if !readJSON(w, r, &body) {
			return
		}
		data := body.Data // req.body.data || []
		if data == nil {
			data = []string{}
		}
		newBlock := mineBlock(data)
		if newBlock == nil {
			sendError(w, http.StatusBadRequest, "Bad Request")
			return
		}
		sendJSON(w, http.StatusOK, newBlock)
	})

	// GET /peers: 연결된 소켓마다 "주소:포트"
	mux.HandleFunc("GET /peers", func(w http.ResponseWriter, r *http.Request) {
		peers := []string{}
		for _, s := range getSockets() {
			peers = append(peers, s.addr)
		}
		sendJSON(w, http.StatusOK, peers)
	})

	// POST /addPeers {"peers":[…]}: 피어마다 웹소켓을 연다.
	// 챕터와 다른 점: 노트의 철자 /addpeers 도 같은 일을 한다.
	addPeers := func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Peers []string `json:"peers"`
		}
		if !readJSON(w, r, &body) {
			return
		}
		connectToPeers(body.Peers) // req.body.peers || []
		w.WriteHeader(http.StatusOK)
	}
	mux.HandleFunc("POST /addPeers", addPeers)
	mux.HandleFunc("POST /addpeers", addPeers)

	// GET /version: 이 노드의 버전 문자열 (챕터의 res.send(getCurrentVersion()) 처럼 글자 그대로)
	mux.HandleFunc("GET /version", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, getCurrentVersion())
	})

	// POST /stop: 답한 뒤 두 서버를 닫고 프로세스를 끝낸다
	mux.HandleFunc("POST /stop", func(w http.ResponseWriter, r *http.Request) {
		sendJSON(w, http.StatusOK, map[string]string{"msg": "Stopping server"})
		stopOnce.Do(func() { close(stopping) })
	})

	ln, err := net.Listen("tcp", net.JoinHostPort(host, port))
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Addr: ln.Addr().String(), Handler: mux,
		ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute}
	go srv.Serve(ln)
	log.Printf("Listening http port on: %d", ln.Addr().(*net.TCPAddr).Port)
	return srv, nil
}

// readJSON 은 요청 몸체를 v 로 풀고, 안 되면 400 이나 413 으로 답하고 false 를 돌려준다.
// 챕터와 다른 점: 빈 몸체는 {} 로 본다(body-parser 처럼). 잘못된 JSON 이나 잘못된 꼴의 값은 체인을 건드리지 않고 400 이다.
func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		sendError(w, http.StatusRequestEntityTooLarge, "request body larger than 1 MiB")
		return false
	}
	if err != nil {
		sendError(w, http.StatusBadRequest, err.Error())
		return false
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return true
	}
	if err := json.Unmarshal(body, v); err != nil {
		sendError(w, http.StatusBadRequest, "invalid JSON body: "+err.Error())
		return false
	}
	return true
}

// sendJSON 은 v 를 JSON 으로 답한다. 자바스크립트의 JSON.stringify 처럼 <, >, & 를 바꾸지 않는다.
func sendJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

// sendError 는 {"error":"…"} 한 줄로 답한다.
func sendError(w http.ResponseWriter, status int, msg string) {
	sendJSON(w, status, map[string]string{"error": msg})
}
