/* Slab allocation and free rates by cache (the book's slabratetop), from the kmem tracepoints.
 *
 * kmem_cache_alloc/free (6.1+) pass the struct kmem_cache: counters are keyed by its address,
 * a per-event hash of one u64, and the cache's name and object size are copied into a second
 * map only when the address is first seen (once per cache, or per CPU on its first allocation
 * there), not per event. User space cannot read kernel memory, hence that second map. Allocated
 * bytes are allocations x object size, computed at scrape time: every object of a cache has the
 * same size, so the hot path adds nothing for them.
 *
 * kmalloc() fires kmem:kmalloc instead, with no cache: those are counted by kmalloc size class
 * (derived from bytes_alloc) in a small array, with their bytes, since large allocations vary. */
#include "ke_bpf.h"

#define KE_SLAB_NAME_LEN 48
#define KE_SLAB_CACHES 4096
/* kmalloc-8 .. kmalloc-8k (13 classes, 96 and 192 included), then kmalloc-large. */
#define KE_KMALLOC_CLASSES 14

struct cache_counts {
  __u64 allocations;
  __u64 frees;
};

struct cache_info {
  __u64 object_size;
  char name[KE_SLAB_NAME_LEN];
};

struct kmalloc_counts {
  __u64 allocations;
  __u64 bytes;
};

/* Keyed by cache address (tp_btf, raw_tp) or by a hash of the name (classic tracepoints, which
 * carry no address); user space only joins the two maps on the key. */
KE_COUNTER_MAP(cache_counts, __u64, struct cache_counts, KE_SLAB_CACHES);

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, KE_SLAB_CACHES);
  __type(key, __u64);
  __type(value, struct cache_info);
} cache_infos SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, KE_KMALLOC_CLASSES);
  __type(key, __u32);
  __type(value, struct kmalloc_counts);
} kmalloc_counts SEC(".maps");

static const struct cache_counts zero_counts;

/* The counters of cache `id`, and whether its info must be (re)stored: when the counters were
 * just created, and for allocations also when this CPU sees its first one (a cache first seen
 * freeing on the classic path has no known size until then). Either happens about once per
 * cache and CPU, so the name copy stays off the per-event path. */
KE_INLINE struct cache_counts* cache_counters(__u64 id, int allocation, int* remember) {
  int created = 0;
  struct cache_counts* counts = ke_counters_of(&cache_counts, &id, &zero_counts, &created);
  *remember = counts && (created || (allocation && !counts->allocations));
  return counts;
}

/* tp_btf and raw_tp: the struct kmem_cache itself. */
KE_INLINE void on_cache_event(const struct kmem_cache* s, int allocation) {
  __u64 id = (__u64)s;
  int remember;
  struct cache_counts* counts = cache_counters(id, allocation, &remember);
  if (!counts) return;
  if (remember) {
    struct cache_info info = {.object_size = BPF_CORE_READ(s, size)};
    bpf_probe_read_kernel_str(info.name, sizeof info.name, BPF_CORE_READ(s, name));
    bpf_map_update_elem(&cache_infos, &id, &info, BPF_ANY);
  }
  if (allocation)
    counts->allocations++;
  else
    counts->frees++;
}

/* Classic tracepoints: the record holds the name string, not the cache, so the name is read per
 * event (this is the fallback path) and hashed (FNV-1a) into the key. 6.1's kmem_cache_alloc
 * record has no name: the CO-RE relocation of __data_loc_name fails, the kernel refuses that
 * variant and the loader reports why (frees and kmalloc are still counted). */
KE_INLINE void on_record_event(void* record, __u32 data_loc, __u64 bytes_alloc, int allocation) {
  struct cache_info info = {.object_size = bytes_alloc};
  __u64 id = 0xcbf29ce484222325ULL;
  int remember;
  bpf_probe_read_kernel_str(info.name, sizeof info.name, (char*)record + (data_loc & 0xFFFF));
  for (int i = 0; i < KE_SLAB_NAME_LEN; i++) {
    if (!info.name[i]) break;
    id = (id ^ (__u8)info.name[i]) * 0x100000001b3ULL;
  }
  struct cache_counts* counts = cache_counters(id, allocation, &remember);
  if (!counts) return;
  /* A free knows no size: NOEXIST keeps the size an allocation stored. */
  if (remember) bpf_map_update_elem(&cache_infos, &id, &info, allocation ? BPF_ANY : BPF_NOEXIST);
  if (allocation)
    counts->allocations++;
  else
    counts->frees++;
}

/* The kernel's kmalloc size class (kmalloc_index(): 8, 16, 32, 64, 96, 128, 192, 256, then powers
 * of two up to KMALLOC_MAX_CACHE_SIZE, 8 KiB with SLUB); larger requests go to the page
 * allocator (kmalloc-large). */
KE_INLINE __u32 kmalloc_class(__u64 bytes) {
  if (bytes <= 64) return bytes <= 8 ? 0 : ke_ceil_log2(bytes) - 3; /* 8..64: 0..3 */
  if (bytes <= 96) return 4;
  if (bytes <= 128) return 5;
  if (bytes <= 192) return 6;
  if (bytes <= 8192) return ke_ceil_log2(bytes) - 1; /* 256..8k: 7..12 */
  return 13;
}

KE_INLINE void on_kmalloc(__u64 bytes_alloc) {
  __u32 index = kmalloc_class(bytes_alloc);
  struct kmalloc_counts* counts = bpf_map_lookup_elem(&kmalloc_counts, &index);
  if (!counts) return;
  counts->allocations++;
  counts->bytes += bytes_alloc;
}

KE_RAW_TRACEPOINT(cache_alloc, kmem_cache_alloc, on_cache_event(s, 1), unsigned long call_site,
                  const void* ptr, struct kmem_cache* s)
KE_CLASSIC_TRACEPOINT(cache_alloc, kmem, kmem_cache_alloc, struct trace_event_raw_kmem_cache_alloc,
                      on_record_event(ctx, ctx->__data_loc_name, ctx->bytes_alloc, 1))

KE_RAW_TRACEPOINT(cache_free, kmem_cache_free, on_cache_event(s, 0), unsigned long call_site,
                  const void* ptr, const struct kmem_cache* s)
KE_CLASSIC_TRACEPOINT(cache_free, kmem, kmem_cache_free, struct trace_event_raw_kmem_cache_free,
                      on_record_event(ctx, ctx->__data_loc_name, 0, 0))

KE_RAW_TRACEPOINT(kmalloc, kmalloc, on_kmalloc(bytes_alloc), unsigned long call_site,
                  const void* ptr, unsigned long bytes_req, unsigned long bytes_alloc)
KE_CLASSIC_TRACEPOINT(kmalloc, kmem, kmalloc, struct trace_event_raw_kmalloc,
                      on_kmalloc(ctx->bytes_alloc))
