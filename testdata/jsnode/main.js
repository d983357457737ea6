// The interop test's stand-in for the chapter-2 ("broadcast") node of the book
// 《컴퓨터과학으로 배우는 블록체인 원리와 구현》 (repository lukepark327/onechain, branch chapter-2).
// It is our own code, written from the chapter's rules as the book's node implements them in that
// repository's src/main.js (not copied from it), and it runs on the chapter's npm versions: ws 1.x,
// crypto-js 3.x, merkle 0.6.0, express 4.x, body-parser 1.x.
// Block data is handled as the book's node handles it: POST /mineBlock mines `req.body.data || []` as it
// comes (strings, numbers, true/false, null, objects, nested arrays), and a received block's data may be
// any JSON array; npm merkle turns each leaf into String(leaf) before hashing it.
// Where it knowingly differs from the book's node: HTTP_PORT/P2P_PORT may be 0 (a free port; the real one
// is logged), HOST may pin the listening address, a malformed message is logged instead of crashing the
// process, a closed socket leaves the list once, replaceChain takes only a longer chain, block data must
// be an array (the book's node takes any object, and throws on a non-array when it computes the merkle
// root), and data whose leaves String() cannot convert (an object with its own "toString" key) is
// refused with 400 when mining and makes a received block invalid, where the book's node throws.
"use strict";
const http = require("http");
const CryptoJS = require("crypto-js");
const merkle = require("merkle");
const express = require("express");
const bodyParser = require("body-parser");
const WebSocket = require("ws");

const VERSION = require("./package.json").version; // 2.1.0, as on the chapter's branch
const HTTP_PORT = process.env.HTTP_PORT || 3001;
const P2P_PORT = process.env.P2P_PORT || 6001;
const HOST = process.env.HOST || undefined; // undefined: every address, IPv6 too (the chapter's ws 1.x server takes IPv4 0.0.0.0 only)
const ZERO_HASH = "0".repeat(64);
const MessageType = { QUERY_LATEST: 0, QUERY_ALL: 1, RESPONSE_BLOCKCHAIN: 2 };

// ---------- blocks (chapter 1's rules) ----------

function merkleRoot(data) {
    // merkle calls String(leaf) on each leaf, which throws for an object with its own "toString" key.
    try { return merkle("sha256").sync(data).root() || ZERO_HASH; } // no leaves: 64 zeros
    catch (e) { console.log("Cannot compute merkleRoot: " + e.message); return null; }
}

function newBlock(version, index, previousHash, timestamp, data) {
    // Key order matters: peers compare blocks with JSON.stringify.
    const header = { version, index, previousHash, timestamp, merkleRoot: merkleRoot(data) };
    return { header, data };
}

function hashBlock(block) {
    const h = block.header;
    const text = h.version + h.index + h.previousHash + h.timestamp + h.merkleRoot;
    return CryptoJS.SHA256(text).toString().toUpperCase();
}

const genesisBlock = newBlock("1.0.0", 0, ZERO_HASH, 1231006505,
    ["The Times 03/Jan/2009 Chancellor on brink of second bailout for banks"]);
let blockchain = [genesisBlock];
const latestBlock = () => blockchain[blockchain.length - 1];

const isStringArray = (a) => Array.isArray(a) && a.every((s) => typeof s === "string");

function hasBlockShape(b) {
    const h = b !== null && typeof b === "object" ? b.header : null;
    return h !== null && typeof h === "object"
        && typeof h.version === "string" && Number.isInteger(h.index)
        && typeof h.previousHash === "string" && Number.isInteger(h.timestamp)
        && typeof h.merkleRoot === "string" && Array.isArray(b.data); // any JSON values, as in the book
}

function isValidNewBlock(block, prev) {
    if (!hasBlockShape(block)) { console.log("Invalid block structure"); return false; }
    if (block.header.index !== prev.header.index + 1) { console.log("Invalid index"); return false; }
    if (block.header.previousHash !== hashBlock(prev)) { console.log("Invalid previousHash"); return false; }
    const root = merkleRoot(block.data);
    if (root === null || block.header.merkleRoot !== root) { console.log("Invalid merkleRoot"); return false; }
    return true;
}

function isValidChain(chain) {
    if (JSON.stringify(chain[0]) !== JSON.stringify(genesisBlock)) return false;
    return chain.every((block, i) => i === 0 || isValidNewBlock(block, chain[i - 1]));
}

function addBlock(block) {
    if (!isValidNewBlock(block, latestBlock())) return false;
    blockchain.push(block);
    return true;
}

function replaceChain(chain) {
    if (isValidChain(chain) && chain.length > blockchain.length) {
        console.log("Received blockchain is valid. Replacing current blockchain with received blockchain");
        blockchain = chain;
        broadcast(responseLatestMsg());
    } else {
        console.log("Received blockchain invalid");
    }
}

function mineBlock(data) {
    const prev = latestBlock();
    const block = newBlock(VERSION, prev.header.index + 1, hashBlock(prev), Math.round(Date.now() / 1000), data);
    if (block.header.merkleRoot === null || !addBlock(block)) return null;
    broadcast(responseLatestMsg());
    return block;
}

// ---------- peers (chapter 2's messages) ----------

const sockets = [];
const queryLatestMsg = () => ({ type: MessageType.QUERY_LATEST, data: null });
const queryAllMsg = () => ({ type: MessageType.QUERY_ALL, data: null });
const responseChainMsg = () => ({ type: MessageType.RESPONSE_BLOCKCHAIN, data: JSON.stringify(blockchain) });
const responseLatestMsg = () => ({ type: MessageType.RESPONSE_BLOCKCHAIN, data: JSON.stringify([latestBlock()]) });

function write(ws, message) {
    if (ws.readyState !== WebSocket.OPEN) return;
    ws.send(JSON.stringify(message), (err) => { if (err) console.log("Send failed: " + err.message); });
}

function broadcast(message) { sockets.forEach((ws) => write(ws, message)); }

function initConnection(ws) {
    ws.peer = ws._socket.remoteAddress + ":" + ws._socket.remotePort; // GET /peers shows this
    sockets.push(ws);
    ws.on("message", (text) => handleMessage(ws, text));
    const close = () => {
        const i = sockets.indexOf(ws);
        if (i < 0) return; // close after error: already gone
        sockets.splice(i, 1);
        console.log("Connection failed to peer: " + (ws.url || ws.peer));
    };
    ws.on("close", close);
    ws.on("error", close);
    write(ws, queryLatestMsg());
}

function connectToPeers(peers) {
    peers.forEach((peer) => {
        let ws;
        try { ws = new WebSocket(peer); } catch (e) { console.log("Connection failed: " + peer + ": " + e.message); return; }
        ws.on("open", () => initConnection(ws));
        ws.on("error", (e) => console.log("Connection failed: " + peer + ": " + e.message));
    });
}

function handleMessage(ws, text) {
    let message;
    try { message = JSON.parse(text); } catch (e) { console.log("Ignored malformed message: " + e.message); return; }
    switch (message !== null && typeof message === "object" ? message.type : undefined) {
        case MessageType.QUERY_LATEST: write(ws, responseLatestMsg()); break;
        case MessageType.QUERY_ALL: write(ws, responseChainMsg()); break;
        case MessageType.RESPONSE_BLOCKCHAIN: handleBlockchainResponse(message.data); break;
        default: console.log("Ignored message of unknown type: " + String(text).slice(0, 100));
    }
}

function handleBlockchainResponse(data) {
    let received = null;
    try { if (typeof data === "string") received = JSON.parse(data); } catch (e) { /* checked below */ }
    if (!Array.isArray(received) || received.length === 0
        || !hasBlockShape(received[received.length - 1])) {
        console.log("Ignored RESPONSE_BLOCKCHAIN: data is not a JSON string of blocks");
        return;
    }
    const latestReceived = received[received.length - 1];
    const latestHeld = latestBlock();
    if (latestReceived.header.index <= latestHeld.header.index) {
        console.log("Received blockchain is not longer than current blockchain. Do nothing");
        return;
    }
    console.log("Blockchain possibly behind. We got: " + latestHeld.header.index
        + ",  Peer got: " + latestReceived.header.index);
    if (latestReceived.header.previousHash === hashBlock(latestHeld)) {
        console.log("We can append the received block to our chain");
        if (addBlock(latestReceived)) broadcast(responseLatestMsg());
    } else if (received.length === 1) {
        console.log("We have to query the chain from our peer");
        broadcast(queryAllMsg());
    } else {
        console.log("Received blockchain is longer than current blockchain");
        replaceChain(received);
    }
}

// ---------- HTTP API ----------

const app = express();
app.use(bodyParser.json());
app.get("/blocks", (req, res) => res.send(blockchain)); // express sends objects with JSON.stringify
app.post("/mineBlock", (req, res) => {
    const data = req.body.data || []; // mined as it comes, as in the book
    const block = Array.isArray(data) ? mineBlock(data) : null;
    if (block === null) res.status(400).send("Bad Request");
    else res.send(block);
});
app.get("/peers", (req, res) => res.send(sockets.map((ws) => ws.peer)));
const addPeers = (req, res) => {
    const peers = req.body.peers || [];
    if (!isStringArray(peers)) { res.status(400).send("Bad Request"); return; }
    connectToPeers(peers);
    res.send();
};
app.post("/addPeers", addPeers);
app.post("/addpeers", addPeers); // the study note's spelling
app.get("/version", (req, res) => res.send(VERSION));
app.post("/stop", (req, res) => {
    res.on("finish", () => process.exit(0)); // exit once the answer is out
    res.send({ msg: "Stopping server" });
});

const httpServer = app.listen(HTTP_PORT, HOST, () =>
    console.log("Listening http port on: " + httpServer.address().port));

const p2pServer = http.createServer((req, res) => { res.writeHead(426); res.end("Upgrade Required"); });
new WebSocket.Server({ server: p2pServer }).on("connection", initConnection);
p2pServer.listen(P2P_PORT, HOST, () => console.log("Listening websocket p2p port on: " + p2pServer.address().port));
