#pragma once
// Process-wide allocator settings for tensor work.
//
// Tensor code allocates and frees the same large buffers (attention scores, activations,
// gradients) many times a second. glibc serves every block above its mmap threshold
// (128 KiB, rising to at most 32 MiB) with a fresh mmap and returns the top of the heap
// to the kernel once 128 KiB lie free there, so each such buffer is faulted in page by
// page again on every use. On virtual machines a page fault is expensive: measured on
// a 2-core VM, one BERT-tiny forward pass spent three quarters of its time in those
// faults (docs/benchmarks.md, "Encoder").

namespace denser {

/// Keeps freed memory in the process for reuse: large blocks come from the heap instead
/// of mmap, and the heap is trimmed only when more than 1 GiB lies free at its top.
/// Call it once at program start, before the heavy work (denser's CLI and benchmarks
/// do). It changes glibc's malloc for the whole process; elsewhere it does nothing.
/// Set DENSER_MALLOC=system in the environment to leave the allocator as it is.
/// Returns true when the settings were applied.
bool tune_allocator_for_tensors();

}  // namespace denser
