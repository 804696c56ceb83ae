/* Outstanding kernel allocations by allocating site (the book's memleak, kernel mode): every
 * kmalloc(), kmem_cache_alloc(), per-CPU allocation and kernel page allocation is recorded with
 * its size and time, and forgotten at its free. The exporter reports, per site, what has stayed
 * allocated longer than a configurable minimum age.
 *
 * Sites, not stack traces, for objects: the slab and per-CPU tracepoints carry the allocator's
 * caller (call_site), and a stack per allocation would cost ~1 us per event (see
 * docs/performance.md). The page allocator's tracepoint carries no caller, so page records keep
 * the innermost kernel frames and the exporter names the first one outside the page allocator.
 *
 * Pages: only unmovable and reclaimable ones. Movable pages hold user memory and page cache (their
 * lifetime is the owning process's or the cache's, not a kernel leak) and are half or more of all
 * page allocations. The page events use classic tracepoints only: they carry the pfn, while the
 * raw tracepoints pass a struct page * whose pfn needs the kernel's memory layout (vmemmap), and a
 * page freed through one hook kind must match its allocation through the other. */
#include "ke_bpf.h"

/* Kernel frames kept per page allocation: the BPF and tracepoint frames, the page allocator's
 * two or three, and the site. */
#define KE_MEMLEAK_PAGE_FRAMES 10
#define KE_PAGE_SIZE 4096 /* x86-64, the only architecture the exporter is built for */

struct allocation {
  __u64 size;
  __u64 allocated_ns;
  __u64 call_site;
};

struct page_allocation {
  __u64 size;
  __u64 allocated_ns;
  __u64 frames[KE_MEMLEAK_PAGE_FRAMES]; /* innermost first; zero after the last */
};

/* Plain hashes, not LRU: an LRU map would evict the oldest records first, which are exactly the
 * leak candidates. A full map counts a drop (inflight_map_full) instead. Preallocated, so that
 * recording costs no memory allocation of its own on the allocation path. */
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 65536);
  __type(key, __u64); /* object address; per-CPU allocations by their __percpu pointer */
  __type(value, struct allocation);
} allocations SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 16384);
  __type(key, __u64); /* pfn of the first page */
  __type(value, struct page_allocation);
} page_allocations SEC(".maps");

KE_INLINE void on_alloc(__u64 call_site, const void* ptr, __u64 size) {
  __u64 address = (__u64)ptr;
  struct allocation record = {
      .size = size, .allocated_ns = bpf_ktime_get_ns(), .call_site = call_site};
  if (!address) return; /* a failed allocation */
  ke_inflight_start(&allocations, &address, &record);
}

KE_INLINE void on_free(const void* ptr) {
  __u64 address = (__u64)ptr;
  bpf_map_delete_elem(&allocations, &address);
}

KE_RAW_TRACEPOINT(kmalloc, kmalloc, on_alloc(call_site, ptr, bytes_alloc), unsigned long call_site,
                  const void* ptr, unsigned long bytes_req, unsigned long bytes_alloc)
KE_CLASSIC_TRACEPOINT(kmalloc, kmem, kmalloc, struct trace_event_raw_kmalloc,
                      on_alloc(ctx->call_site, ctx->ptr, ctx->bytes_alloc))

/* The object size of kmem_cache_alloc is the cache's: read once per event through CO-RE. */
KE_RAW_TRACEPOINT(cache_alloc, kmem_cache_alloc, on_alloc(call_site, ptr, BPF_CORE_READ(s, size)),
                  unsigned long call_site, const void* ptr, struct kmem_cache* s)
KE_CLASSIC_TRACEPOINT(cache_alloc, kmem, kmem_cache_alloc, struct trace_event_raw_kmem_cache_alloc,
                      on_alloc(ctx->call_site, ctx->ptr, ctx->bytes_alloc))

KE_RAW_TRACEPOINT(kfree, kfree, on_free(ptr), unsigned long call_site, const void* ptr)
KE_CLASSIC_TRACEPOINT(kfree, kmem, kfree, struct trace_event_raw_kfree, on_free(ctx->ptr))

KE_RAW_TRACEPOINT(cache_free, kmem_cache_free, on_free(ptr), unsigned long call_site,
                  const void* ptr)
KE_CLASSIC_TRACEPOINT(cache_free, kmem, kmem_cache_free, struct trace_event_raw_kmem_cache_free,
                      on_free(ctx->ptr))

/* Per-CPU allocations (the call_site argument exists since 5.19). bytes_alloc covers every CPU's
 * copy. */
KE_RAW_TRACEPOINT(percpu_alloc, percpu_alloc_percpu, on_alloc(call_site, ptr, bytes_alloc),
                  unsigned long call_site, _Bool reserved, _Bool is_atomic, unsigned long size,
                  unsigned long align, void* base_addr, int off, void* ptr,
                  unsigned long bytes_alloc)
KE_CLASSIC_TRACEPOINT(percpu_alloc, percpu, percpu_alloc_percpu,
                      struct trace_event_raw_percpu_alloc_percpu,
                      on_alloc(ctx->call_site, ctx->ptr, ctx->bytes_alloc))

KE_RAW_TRACEPOINT(percpu_free, percpu_free_percpu, on_free(ptr), void* base_addr, int off,
                  void* ptr)
KE_CLASSIC_TRACEPOINT(percpu_free, percpu, percpu_free_percpu,
                      struct trace_event_raw_percpu_free_percpu, on_free(ctx->ptr))

KE_INLINE void on_page_alloc(struct trace_event_raw_mm_page_alloc* ctx) {
  struct page_allocation record = {};
  __u64 pfn = ctx->pfn;
  if (pfn == (__u64)-1) return; /* a failed allocation */
  if (ctx->migratetype == bpf_core_enum_value(enum migratetype, MIGRATE_MOVABLE)) return;
  record.size = (__u64)KE_PAGE_SIZE << (ctx->order & 31);
  record.allocated_ns = bpf_ktime_get_ns();
  bpf_get_stack(ctx, record.frames, sizeof(record.frames), 0);
  ke_inflight_start(&page_allocations, &pfn, &record);
}

KE_INLINE void on_page_free(__u64 pfn) {
  bpf_map_delete_elem(&page_allocations, &pfn);
}

KE_CLASSIC_TRACEPOINT(page_alloc, kmem, mm_page_alloc, struct trace_event_raw_mm_page_alloc,
                      on_page_alloc(ctx))
KE_CLASSIC_TRACEPOINT(page_free, kmem, mm_page_free, struct trace_event_raw_mm_page_free,
                      on_page_free(ctx->pfn))
/* Order-0 pages freed in batches (page lists, folio batches) fire this instead. */
KE_CLASSIC_TRACEPOINT(page_free_batched, kmem, mm_page_free_batched,
                      struct trace_event_raw_mm_page_free_batched, on_page_free(ctx->pfn))
