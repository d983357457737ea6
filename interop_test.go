package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// interopCase 는 POST /mineBlock 에 그대로 보내는 몸체 하나와, 두 노드가 모두 적어야 할 data 의 JSON
// (JSON.stringify(JSON.parse(몸체).data || [])), 그리고 SPEC 의 규칙(잎은 String(value))대로 따로 계산한 머클 루트이다.
type interopCase struct {
	body, wantData, wantRoot string
}

// interopCases 는 챕터의 노드가 생성하는 모든 종류의 data 이다. 기대값은 node 20 의 JSON.stringify 와 String() 이 내는 값이다.
func interopCases() []interopCase {
	zeros := strings.Repeat("0", 64)
	pair := func(a, b string) string { return h(h(a) + h(b)) }
	return []interopCase{
		{`{"data":[1,2]}`, `[1,2]`, pair("1", "2")},
		{`{"data":[null]}`, `[null]`, h("null")},
		{`{"data":[true,false]}`, `[true,false]`, pair("true", "false")},
		{`{"data":[{"a":1}]}`, `[{"a":1}]`, h("[object Object]")},
		// 같은 키는 뒤의 값이 앞의 자리에 남고, 배열 첨자 같은 키가 작은 차례로 먼저 온다.
		{`{"data":[{ "b": 1, "2": 2, "1": 3, "b": 5 }]}`, `[{"1":3,"2":2,"b":5}]`, h("[object Object]")},
		// String([1,[2,null]]) 은 "1,2," 이고 String([]) 은 "" 이다.
		{`{"data":[[1,[2,null]],[]]}`, `[[1,[2,null]],[]]`, pair("1,2,", "")},
		// 다섯 잎: 홀수로 남은 마지막 잎은 그대로 올라간다.
		{`{"data":[1.0, 1e21, 1e-7, -0, 0.1]}`, `[1,1e+21,1e-7,0,0.1]`,
			h(h(h(h("1")+h("1e+21"))+h(h("1e-7")+h("0"))) + h("0.1"))},
		// \u2028 은 JSON.stringify 가 이스케이프하지 않는다: data 에는 그 문자 그대로 적힌다.
		{`{"data":["한글","<&>","\u2028"]}`, "[\"한글\",\"<&>\",\"\u2028\"]", h(h(h("한글")+h("<&>")) + h("\u2028"))},
		// 64글자 대문자 16진수인 잎은 해시하지 않고 그대로 쓴다.
		{`{"data":["` + genesisHash + `"]}`, `["` + genesisHash + `"]`, genesisHash},
		{`{"data":[]}`, `[]`, zeros},
		{`{}`, `[]`, zeros}, // req.body.data || []
	}
}

// interopMined 는 노드 하나가 POST /mineBlock 으로 생성해 돌려준 블록이다: 다른 쪽이 같은 몸체로 생성한 블록과 견주려고 모은다.
type interopMined struct {
	node       string
	data, root string
}

// interopRejections 는 노드가 피어의 블록이나 메시지를 거절하거나 흘려 보냈을 때 남기는 로그이다 (소문자로 견준다).
// Go 노드: "invalid block structure", "Invalid index|previousHash|merkleRoot", "Received blockchain invalid",
// "Ignored message from", "Not adding block", "Not sending to". JS 노드(testdata/jsnode/main.js): "Invalid …",
// "Received blockchain invalid", "Ignored …", "Cannot compute merkleRoot", "Send failed".
// 블록마다 알림이 제때 닿았다면 어느 노드도 체인 전체를 물을 일이 없다 ("We have to query the chain from our peer").
// "Connection failed" 는 여기에 없다: chainFrameOf 가 닫는 연결도 그 줄을 남긴다. 쌍의 연결이 끊기지 않았는지는 따로 본다.
var interopRejections = []string{"invalid", "ignored", "cannot compute", "not adding block", "not sending",
	"send failed", "stringify:", "we have to query the chain", "received blockchain is longer"}

// TestInteropWithJSNodeAnyData 는 챕터처럼 data 가 아무 JSON 값의 배열인 블록을 JS 노드와 Go 노드가 함께 다루는지 본다.
// 두 쌍을 진짜 프로세스로 띄운다: 쌍 1 은 Go 노드 G1 이 JS 노드 J1 에 연결하고(-peers), 쌍 2 는 JS 노드 J2 가 Go 노드 G2 에
// 연결한다(POST /addPeers). 쌍마다 interopCases 의 몸체를 하나씩 양쪽에서 생성한다 (쌍 1 은 J 먼저, 쌍 2 는 G 먼저).
// (1) POST /mineBlock 이 돌려준 블록의 바이트는 JSON.stringify 의 꼴이고, data 와 merkleRoot 는 따로 계산한 값과 같으며
// 네 노드가 같은 몸체로 생성한 블록끼리도 같다. (2) 블록마다 상대 노드에 퍼진다 (상대는 그 블록을 붙인다).
// (3) 끝에 쌍마다 J 와 G 의 GET /blocks 와 QUERY_ALL 에 대한 RESPONSE_BLOCKCHAIN 프레임이 바이트까지 같다.
// (4) 어느 노드도 거절하거나 흘려 보낸 로그를 남기지 않았다.
func TestInteropWithJSNodeAnyData(t *testing.T) {
	node := requireJSNode(t)
	began := time.Now()
	var all []*testNode
	t.Cleanup(func() { // 가장 먼저 등록했으므로 노드들이 멈춘 뒤에 돈다
		if t.Failed() {
			for _, n := range all {
				t.Logf("---- %s's log ----\n%s", n.name, n.logText())
			}
		}
		t.Logf("TestInteropWithJSNodeAnyData took %v", time.Since(began).Round(time.Millisecond))
	})

	// 쌍 1: G1 이 J1 에 연결한다. 쌍 2: J2 가 G2 에 연결한다.
	j1 := startJSNode(t, node, "JS node J1")
	all = append(all, j1)
	g1 := startNode(t, "Go node G1", j1.p2p)
	all = append(all, g1)
	j2 := startJSNode(t, node, "JS node J2")
	all = append(all, j2)
	g2 := startNode(t, "Go node G2")
	all = append(all, g2)
	j2.addPeers(g2.p2p)

	type interopPair struct {
		name            string
		js, gn          *testNode
		dialer, dialled *testNode
		order           []*testNode // 같은 몸체를 생성하는 차례
	}
	pairs := []interopPair{
		{"pair 1 (G1 dials J1)", j1, g1, g1, j1, []*testNode{j1, g1}},
		{"pair 2 (J2 dials G2)", j2, g2, j2, g2, []*testNode{g2, j2}},
	}
	for _, p := range pairs {
		waitFor(t, p.name+" to connect", func() bool { return len(p.dialer.peers()) == 1 && len(p.dialled.peers()) == 1 })
		// 연결한 쪽은 상대의 P2P 포트를, 받은 쪽은 상대가 연 임시 포트를 보인다: 연결의 방향이 맞는지 본다.
		if got, want := p.dialer.peers(), []string{strings.TrimPrefix(p.dialled.p2p, "ws://")}; !slices.Equal(got, want) {
			t.Errorf("%s: %s's peers: got %v, want %v", p.name, p.dialer.name, got, want)
		}
		if got := p.dialled.peers(); len(got) != 1 || got[0] == strings.TrimPrefix(p.dialer.p2p, "ws://") {
			t.Errorf("%s: %s's peers: got %v, want one inbound 127.0.0.1:port that is not %s's P2P port",
				p.name, p.dialled.name, got, p.dialer.name)
		}
	}

	cases := interopCases()
	mined := make([][]interopMined, len(cases)) // 몸체마다 네 노드가 생성한 블록의 data 와 merkleRoot
	for _, p := range pairs {
		tip := getGenesisBlock()
		responses := []string{string(stringify(tip))} // GET /blocks 는 생성한 블록들을 이어 붙인 것이어야 한다
		for i, c := range cases {
			for _, n := range p.order {
				status, resp := httpDo(t, "POST", n.http+"/mineBlock", c.body)
				var b Block
				if err := json.Unmarshal([]byte(resp), &b); status != 200 || err != nil {
					t.Fatalf("%s: %s POST /mineBlock %s: got %d %s (%v), want 200 and a block", p.name, n.name, c.body, status, resp, err)
				}
				// (1) 블록 전체가 JSON.stringify 의 꼴이고, index, previousHash, data, merkleRoot 가 모두 맞는다.
				want := fmt.Sprintf(`{"header":{"version":"2.1.0","index":%d,"previousHash":"%s","timestamp":%d,"merkleRoot":"%s"},"data":%s}`,
					tip.Header.Index+1, calculateHashForBlock(tip), b.Header.Timestamp, c.wantRoot, c.wantData)
				if resp != want {
					t.Errorf("%s: %s POST /mineBlock %s:\n got %s\nwant %s\n%s", p.name, n.name, c.body, resp, want, firstDiff(resp, want))
				}
				if now := time.Now().Unix(); b.Header.Timestamp < began.Unix()-1 || b.Header.Timestamp > now+1 {
					t.Errorf("%s: %s POST /mineBlock %s: got timestamp %d, want between %d and %d", p.name, n.name, c.body,
						b.Header.Timestamp, began.Unix()-1, now+1)
				}
				_, data, _ := strings.Cut(resp, `},"data":`) // 헤더에는 안쪽 객체가 없으므로 처음의 "},"data":" 가 헤더의 끝이다
				mined[i] = append(mined[i], interopMined{n.name, strings.TrimSuffix(data, "}"), b.Header.MerkleRoot})
				responses = append(responses, resp)
				tip = b

				// (2) 블록이 상대 노드에 퍼진다: 두 노드의 마지막 블록이 이 블록이다. 상대가 거절한 로그를 남기면 30초를
				// 기다리지 않고 바로 멈춘다.
				hash := calculateHashForBlock(b)
				for _, other := range p.order {
					waitFor(t, fmt.Sprintf("%s to hold %s's block for %s", other.name, n.name, c.body),
						func() bool { return other.tip() == hash || len(interopRejected(other)) > 0 })
					if lines := interopRejected(other); len(lines) > 0 {
						t.Fatalf("%s: %s's block for %s (%s): got %s logging %q, want the block appended",
							p.name, n.name, c.body, resp, other.name, lines)
					}
				}
			}
		}

		// (3) 두 노드의 체인이 같고, GET /blocks 와 RESPONSE_BLOCKCHAIN 프레임이 바이트까지 같다.
		chain := waitSameChain(t, p.dialer, p.dialled)
		if got, want := len(chain), 1+len(p.order)*len(cases); got != want {
			t.Errorf("%s: chain length: got %d, want %d", p.name, got, want)
		}
		wantBody := "[" + strings.Join(responses, ",") + "]"
		jsNode, goNode := p.js, p.gn
		jsBody, goBody := jsNode.getRaw("/blocks"), goNode.getRaw("/blocks")
		if jsBody != wantBody {
			t.Errorf("%s: %s's GET /blocks is not the mined blocks joined: %s", p.name, jsNode.name, firstDiff(jsBody, wantBody))
		}
		if goBody != jsBody {
			t.Errorf("%s: %s's GET /blocks differs from %s's: %s", p.name, goNode.name, jsNode.name, firstDiff(goBody, jsBody))
		}
		// 쌍의 연결은 끝까지 끊기지 않았다 (chainFrameOf 의 연결이 닫히며 남기는 줄보다 먼저 본다).
		for _, n := range p.order {
			if got := n.countLog("Connection failed"); got != 0 {
				t.Errorf("%s: %s logged %d \"Connection failed\" lines, want 0", p.name, n.name, got)
			}
		}
		jsFrame, goFrame := chainFrameOf(t, jsNode), chainFrameOf(t, goNode)
		if goFrame != jsFrame {
			t.Errorf("%s: %s's RESPONSE_BLOCKCHAIN frame differs from %s's: %s", p.name, goNode.name, jsNode.name, firstDiff(goFrame, jsFrame))
		}
		for _, f := range []struct {
			n     *testNode
			frame string
		}{{jsNode, jsFrame}, {goNode, goFrame}} {
			if blocks, err := blocksOf(f.frame); err != nil || !slices.EqualFunc(blocks, chain, blockEqual) {
				t.Errorf("%s: %s's answer to QUERY_ALL: got %d blocks (%v) in %.60q…, want the chain of %d blocks",
					p.name, f.n.name, len(blocks), err, f.frame, len(chain))
			}
		}
		// 상대가 생성한 블록은 모두 하나씩 받아 붙였다.
		for _, n := range p.order {
			if got, want := n.countLog("We can append the received block to our chain"), len(cases); got != want {
				t.Errorf("%s: %s appended %d received blocks, want %d", p.name, n.name, got, want)
			}
		}
	}

	// (1) 같은 몸체로 생성한 네 블록의 data 와 merkleRoot 는 서로 같다 (J1 의 것에 견준다).
	for i, c := range cases {
		first := mined[i][0]
		for _, m := range mined[i][1:] {
			if m.data != first.data || m.root != first.root {
				t.Errorf("POST /mineBlock %s: %s's block has data %s and merkleRoot %s, %s's has data %s and merkleRoot %s",
					c.body, m.node, m.data, m.root, first.node, first.data, first.root)
			}
		}
	}

	// (4) 어느 노드도 거절한 로그를 남기지 않았다.
	for _, n := range all {
		if lines := interopRejected(n); len(lines) > 0 {
			t.Errorf("%s logged %q, want no line with any of %q", n.name, lines, interopRejections)
		}
	}
}

// interopRejected 는 노드의 로그에서 interopRejections 의 하나가 든 줄들이다.
func interopRejected(n *testNode) []string {
	var found []string
	for _, line := range strings.Split(n.logText(), "\n") {
		for _, bad := range interopRejections {
			if strings.Contains(strings.ToLower(line), bad) {
				found = append(found, line)
				break
			}
		}
	}
	return found
}
