#!/usr/bin/env node
// Client-side benchmark for a chapter-2 ("broadcast") blockchain node.
// It talks to the node only through its HTTP API and its WebSocket P2P port,
// so it measures any implementation (the chapter's JavaScript node, a Go port, ...).
//
//   node bench.js receive <http> <p2p> [blocks]
//       Send one RESPONSE_BLOCKCHAIN frame holding genesis + <blocks> (default 10000; a Go node holds at most 16,384 blocks) to a node
//       that holds only genesis; time until it has replaced its chain.
//   node bench.js sync <fresh-http> <fresh-p2p> <peer-http> <peer-p2p> [blocks]
//       Give the peer <blocks> blocks (by a frame, if it holds only genesis), then POST /addPeers
//       on the fresh node and time until the fresh node holds the peer's chain.
//   node bench.js mine <http> <peer-http> <clients> <blocks> [peer-p2p]
//       <clients> concurrent HTTP clients POST /mineBlock until <blocks> blocks are mined;
//       time until the peer node holds every one of them (see PEERWAIT below).
//   node bench.js frame [blocks]          print the frame (for in-process tests)
//
// <http> and <p2p> are URLs (http://127.0.0.1:3001, ws://127.0.0.1:6001) or bare ports (127.0.0.1).
// Each command prints one JSON line. "ackMs" = the node's broadcast of its new latest block reached
// us over WebSocket; "pollMs" = GET /blocks first returned the full chain (polled every 5 ms).
// Like the chapter's own peers (ws 1.x), our WebSocket offers permessage-deflate, and ws 1.x then
// compresses every message; set DEFLATE=0 to send plain frames. "deflate" in the output tells
// whether the node accepted it.
"use strict";
const crypto = require("crypto");
const http = require("http");
const WebSocket = require("ws"); // ws 1.x, as the chapter uses

const now = () => Number(process.hrtime.bigint()) / 1e6; // milliseconds
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const httpUrl = (s) => (/^\d+$/.test(s) ? "http://127.0.0.1:" + s : s);
const wsUrl = (s) => (/^\d+$/.test(s) ? "ws://127.0.0.1:" + s : s);

// ---------- building a valid chain (the chapter's rules) ----------

const sha = (text) => crypto.createHash("sha256").update(text, "utf8").digest("hex").toUpperCase();

// Merkle root per npm merkle 0.6.0; we only need the one-leaf case (a leaf that is not 64 hex chars).
function merkleRootOneLeaf(data) {
    if (data.length !== 1 || /^[0-9A-F]{64}$/.test(data[0])) throw new Error("one plain leaf only");
    return sha(data[0]);
}

function makeBlock(version, index, previousHash, timestamp, data) {
    // Key order matters: peers compare the genesis block with JSON.stringify.
    return { header: { version, index, previousHash, timestamp, merkleRoot: merkleRootOneLeaf(data) }, data };
}

const hashBlock = (b) => sha(b.header.version + b.header.index + b.header.previousHash
    + b.header.timestamp + b.header.merkleRoot);

function buildChain(n) {
    const genesis = makeBlock("1.0.0", 0, "0".repeat(64), 1231006505,
        ["The Times 03/Jan/2009 Chancellor on brink of second bailout for banks"]);
    if (hashBlock(genesis) !== "C8CD3F1A0BCF8EE28A559D2DE7A4A871E684BFAFEEAAF996C8FCFA5B247B6129") {
        throw new Error("genesis hash differs from the chapter's genesis block");
    }
    const chain = [genesis];
    for (let i = 1; i <= n; i++) {
        chain.push(makeBlock("2.1.0", i, hashBlock(chain[i - 1]), 1700000000 + i, ["bench block " + i]));
    }
    return chain;
}

// RESPONSE_BLOCKCHAIN: data is a JSON string of the block array (the chain is encoded twice).
const buildFrame = (n) => JSON.stringify({ type: 2, data: JSON.stringify(buildChain(n)) });

// ---------- HTTP and WebSocket helpers ----------

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

function request(method, url, body) {
    return new Promise((resolve, reject) => {
        const req = http.request(url, {
            method, agent,
            headers: body === undefined ? {} : { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) },
        }, (res) => {
            const chunks = [];
            res.on("data", (c) => chunks.push(c));
            res.on("end", () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString(), at: now() }));
        });
        req.on("error", reject);
        req.end(body);
    });
}

async function getBlocks(base) {
    const r = await request("GET", base + "/blocks");
    return { blocks: JSON.parse(r.text), at: r.at };
}

// Poll GET /blocks until it holds `length` blocks; returns the time the full answer arrived.
async function pollLength(base, length, timeoutMs = 300000, everyMs = 5) {
    const deadline = now() + timeoutMs;
    for (;;) {
        const { blocks, at } = await getBlocks(base);
        if (blocks.length >= length) return { at, blocks };
        if (now() > deadline) throw new Error(base + " still has " + blocks.length + " blocks");
        await sleep(everyMs);
    }
}

// Connect to a node's P2P port as a silent peer. `waitIndex(i)` resolves (with the time) when the
// node sends us a RESPONSE_BLOCKCHAIN whose last block has index >= i. We never answer queries.
function connectPeer(url) {
    return new Promise((resolve, reject) => {
        const ws = new WebSocket(url, { perMessageDeflate: process.env.DEFLATE !== "0" });
        let best = -1;
        const waiters = [];
        ws.on("message", (text) => {
            const msg = JSON.parse(text);
            if (msg.type !== 2) return;
            const blocks = JSON.parse(msg.data);
            best = Math.max(best, blocks[blocks.length - 1].header.index);
            const t = now();
            for (const w of waiters) if (!w.done && best >= w.index) { w.done = true; w.resolve(t); }
        });
        ws.on("error", reject);
        ws.on("open", () => resolve({
            ws, deflate: Boolean(ws.extensions["permessage-deflate"]),
            waitIndex: (index) => new Promise((res) => waiters.push({ index, resolve: res })),
        }));
    });
}

function withTimeout(promise, ms, what) {
    let timer;
    const t = new Promise((_, rej) => { timer = setTimeout(() => rej(new Error("timeout: " + what)), ms); });
    return Promise.race([promise, t]).finally(() => clearTimeout(timer));
}

// Send the frame to a node holding only genesis; wait for both signals of the replaced chain.
async function sendChain(base, p2p, n, frame) {
    const { blocks } = await getBlocks(base);
    if (blocks.length !== 1) throw new Error(base + " must hold only genesis, has " + blocks.length);
    const peer = await connectPeer(p2p);
    await sleep(100); // let the node's greeting (QUERY_LATEST) pass
    const ack = peer.waitIndex(n);
    const t0 = now();
    let sentAt;
    peer.ws.send(frame, () => { sentAt = now(); });
    const [ackAt, poll] = await withTimeout(Promise.all([ack, pollLength(base, n + 1)]), 300000, "receive");
    peer.ws.close();
    if (hashBlock(poll.blocks[n]) !== hashBlock(JSON.parse(JSON.parse(frame).data)[n])) throw new Error("wrong chain");
    return { deflate: peer.deflate, sendMs: sentAt - t0, ackMs: ackAt - t0, pollMs: poll.at - t0 };
}

// ---------- the benchmarks ----------

async function receive(base, p2p, n = 10000) {
    const frame = buildFrame(n);
    const r = await sendChain(base, p2p, n, frame);
    return { bench: "receive", blocks: n, frameBytes: Buffer.byteLength(frame), ...r };
}

async function sync(freshBase, freshP2p, peerBase, peerP2p, n = 10000) {
    const peerLen = (await getBlocks(peerBase)).blocks.length;
    if (peerLen === 1) await sendChain(peerBase, peerP2p, n, buildFrame(n)); // load the peer first
    else if (peerLen !== n + 1) throw new Error("peer holds " + peerLen + " blocks, want 1 or " + (n + 1));
    const peerLast = (await getBlocks(peerBase)).blocks[n];
    if ((await getBlocks(freshBase)).blocks.length !== 1) throw new Error("fresh node must hold only genesis");

    const watcher = await connectPeer(freshP2p); // sees the fresh node's broadcast after replaceChain
    await sleep(100);
    const ack = watcher.waitIndex(n);
    const t0 = now();
    await request("POST", freshBase + "/addPeers", JSON.stringify({ peers: [peerP2p] }));
    const [ackAt, poll] = await withTimeout(Promise.all([ack, pollLength(freshBase, n + 1)]), 300000, "sync");
    watcher.ws.close();
    if (JSON.stringify(poll.blocks[n]) !== JSON.stringify(peerLast)) throw new Error("fresh node's chain differs");
    return { bench: "sync", blocks: n, ackMs: ackAt - t0, pollMs: poll.at - t0 };
}

async function mine(base, peerBase, clients, n, peerP2p) {
    const start = (await getBlocks(base)).blocks.length;
    const peerStart = (await getBlocks(peerBase)).blocks.length;
    if (start !== peerStart) throw new Error("node and peer differ before mining: " + start + " vs " + peerStart);
    const body = JSON.stringify({ data: ["bench"] });
    let issued = 0;
    const client = async () => {
        while (issued < n) {
            issued++;
            const r = await request("POST", base + "/mineBlock", body);
            if (r.status !== 200) throw new Error("mineBlock: HTTP " + r.status + " " + r.text);
        }
    };
    const t0 = now();
    await Promise.all(Array.from({ length: clients }, client));
    const httpDone = now();
    // Wait until the peer holds every block. Default: poll its GET /blocks every 20 ms. With
    // PEERWAIT=ws (and the peer's P2P URL as 5th argument) we instead join the peer as a silent
    // WebSocket peer, ask QUERY_LATEST, and wait for a latest block >= the target (the peer's own
    // broadcasts then tell us); this spares the peer serializing its whole chain on each poll.
    let poll;
    if (process.env.PEERWAIT === "ws") {
        const watcher = await connectPeer(peerP2p);
        const done = watcher.waitIndex(start + n - 1);
        watcher.ws.send(JSON.stringify({ type: 0, data: null }));
        const at = await withTimeout(done, 120000, "peer catching up");
        watcher.ws.close();
        poll = { at, blocks: (await getBlocks(peerBase)).blocks };
    } else {
        poll = await pollLength(peerBase, start + n, 120000, 20);
    }
    const nodeBlocks = (await getBlocks(base)).blocks;
    if (nodeBlocks.length !== start + n || poll.blocks.length !== start + n
        || JSON.stringify(nodeBlocks[start + n - 1]) !== JSON.stringify(poll.blocks[start + n - 1])) {
        throw new Error("chains differ: node " + nodeBlocks.length + ", peer " + poll.blocks.length);
    }
    const totalMs = poll.at - t0;
    return {
        bench: "mine", clients, blocks: n, peerWait: process.env.PEERWAIT === "ws" ? "ws" : "poll", httpMs: httpDone - t0, totalMs,
        blocksPerSec: n / (totalMs / 1000), httpBlocksPerSec: n / ((httpDone - t0) / 1000),
    };
}

module.exports = { buildChain, buildFrame };

if (require.main === module) {
    const [cmd, ...a] = process.argv.slice(2);
    const run = {
        receive: () => receive(httpUrl(a[0]), wsUrl(a[1]), Number(a[2] || 10000)),
        sync: () => sync(httpUrl(a[0]), wsUrl(a[1]), httpUrl(a[2]), wsUrl(a[3]), Number(a[4] || 10000)),
        mine: () => mine(httpUrl(a[0]), httpUrl(a[1]), Number(a[2] || 1), Number(a[3] || 1000), a[4] && wsUrl(a[4])),
        frame: async () => { process.stdout.write(buildFrame(Number(a[0] || 10000))); return null; },
    }[cmd];
    if (!run) { console.error("usage: see the top of bench.js"); process.exit(2); }
    run().then((r) => { if (r) console.log(JSON.stringify(r)); process.exit(0); },
        (e) => { console.error("bench failed: " + e.message); process.exit(1); });
}
