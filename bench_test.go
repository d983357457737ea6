package main

import (
	"fmt"
	"io"
	"log"
	"os"
	"runtime"
	"testing"
)

func BenchmarkReceiveChain(b *testing.B) {
	log.SetOutput(io.Discard)
	b.Cleanup(func() { log.SetOutput(os.Stderr); resetChain() })
	for _, blocks := range []int{10000} {
		frame := chainFrame(makeChain(blocks, "bench"))
		b.Run(fmt.Sprintf("blocks=%d", blocks), func(b *testing.B) {
			b.SetBytes(int64(len(frame)))
			for b.Loop() {
				b.StopTimer()
				resetChain()
				ws := newTestSocket("bench")
				b.StartTimer()
				receive(ws, frame)
				if got := len(chainNow()); got != blocks+1 {
					b.Fatalf("chain has %d blocks after receiving, want %d", got, blocks+1)
				}
			}
		})
	}
}

func BenchmarkChainMemory(b *testing.B) {
	log.SetOutput(io.Discard)
	b.Cleanup(func() { log.SetOutput(os.Stderr); resetChain() })
	const blocks = 40000
	frame := chainFrame(makeChain(blocks, "bench"))
	var held uint64
	for b.Loop() {
		resetChain()
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		receive(newTestSocket("bench"), frame)
		runtime.GC()
		runtime.ReadMemStats(&after)
		if len(chainNow()) != blocks+1 {
			b.Fatal("chain not replaced")
		}
		held = after.HeapAlloc - before.HeapAlloc
	}
	b.ReportMetric(float64(held)/blocks, "B/block")
}
