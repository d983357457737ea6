#!/usr/bin/env node
// Prints (to stdout) a JSON array of merkle-root test vectors, computed by running npm merkle 0.6.0
// itself exactly as the chapter-2 node (lukepark327/onechain, branch chapter-2, src/main.js) calls it:
//   root = merkle("sha256").sync(data).root() || "0".repeat(64)
// Each case: {"data": <the JSON array>, "root": <that root>, "text": [String(leaf), ...],
//             "stringify": JSON.stringify(data)}.
// The Go side reads "stringify" (or "data") back and must compute "root"; "text" shows the leaf texts
// merkle hashes (merkle calls String(leaf); a leaf text of exactly 64 characters [0-9A-F] is used as the
// leaf hash without hashing it again).
// Regenerate with:  node vectors.js > merkle-vectors.json
"use strict";
const merkle = require("merkle");

if (require("merkle/package.json").version !== "0.6.0") throw new Error("want merkle 0.6.0");

const GENESIS_HASH = "C8CD3F1A0BCF8EE28A559D2DE7A4A871E684BFAFEEAAF996C8FCFA5B247B6129";

// Literal JS values; the numbers are JS numbers as written.
const cases = [
    [],
    ["a"],
    ["a", "b"],
    ["a", "b", "c"],
    ["a", "b", "c", "d", "e"],
    [""],
    ["", ""],
    [1],
    [1.5],
    [-0],
    [1e21],
    [1e-7],
    [123456789012345680000],
    [0.1],
    [true],
    [false],
    [null],
    [{ "a": 1 }],
    [{}],
    [[1, 2]],
    [[]],
    [[null]],
    [[1, [2, [3]]]],
    [[null, "x", null]],
    [[{ "a": 1 }, 2]],
    [1, "1"],
    [GENESIS_HASH],
    [GENESIS_HASH.toLowerCase()],
    ["한글"],
    ["<&>"],
    [1, "two", null, true, { "five": [5] }],
    [[GENESIS_HASH]],
    [1, 2, null, true, { "a": 1 }, [1, [2, null]], "x"],
];

const out = cases.map((data) => ({
    data,
    root: merkle("sha256").sync(data).root() || "0".repeat(64),
    text: data.map((leaf) => String(leaf)),
    stringify: JSON.stringify(data),
}));

// One case per line.
process.stdout.write("[\n" + out.map((c) => "  " + JSON.stringify(c)).join(",\n") + "\n]\n");
