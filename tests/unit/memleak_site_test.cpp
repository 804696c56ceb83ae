// Naming the site of a page allocation from its kernel stack (collectors/memleak.hpp).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "collectors/memleak.hpp"

namespace ke::collectors::memleak {
namespace {

TEST(MemleakBaseName, DropsUnderscoresCloneSuffixesAndNoprof) {
  EXPECT_EQ(base_name("__alloc_frozen_pages_noprof"), "alloc_frozen_pages");
  EXPECT_EQ(base_name("___kmalloc_large_node"), "kmalloc_large_node");
  EXPECT_EQ(base_name("vms_clear_ptes.part.0"), "vms_clear_ptes");
  EXPECT_EQ(base_name("get_free_pages_noprof.constprop.0"), "get_free_pages");
  EXPECT_EQ(base_name("pte_alloc_one"), "pte_alloc_one");
  EXPECT_EQ(base_name(""), "");
}

TEST(MemleakPageAllocator, KnowsTheEntryPointsOfBothKernels) {
  for (const char* function :
       {"__alloc_pages", "alloc_pages", "__get_free_pages", "get_zeroed_page", "folio_alloc",
        "__folio_alloc", "vma_alloc_folio", "__alloc_frozen_pages_noprof", "alloc_pages_mpol",
        "alloc_pages_noprof", "folio_alloc_noprof", "get_free_pages_noprof",
        "alloc_pages_bulk_noprof", "alloc_pages_exact_noprof"})
    EXPECT_TRUE(is_page_allocator(function)) << function;
  for (const char* function :
       {"pte_alloc_one", "__filemap_get_folio", "allocate_slab", "alloc_pages_x", "kmalloc", ""})
    EXPECT_FALSE(is_page_allocator(function)) << function;
}

using Stack = std::vector<std::string>;

TEST(MemleakPageSite, IsTheFirstFunctionAfterThePageAllocator) {
  // 6.18, classic tracepoint: the BPF and tracepoint frames, then the allocator's.
  EXPECT_EQ(page_site(Stack{"bpf_prog_6deef7357e7b4530_page_alloc__tracepoint",
                            "perf_trace_run_bpf_submit", "perf_trace_mm_page_alloc",
                            "__alloc_frozen_pages_noprof", "alloc_pages_mpol", "alloc_pages_noprof",
                            "pte_alloc_one", "__pte_alloc", "do_anonymous_page"}),
            "pte_alloc_one");
  EXPECT_EQ(page_site(Stack{"__alloc_frozen_pages_noprof", "alloc_pages_mpol", "folio_alloc_noprof",
                            "__filemap_get_folio", "__getblk_slow"}),
            "__filemap_get_folio");
  // 6.1.
  EXPECT_EQ(page_site(Stack{"perf_trace_mm_page_alloc", "__alloc_pages", "__get_free_pages",
                            "tlb_remove_table", "free_pgd_range"}),
            "tlb_remove_table");
}

TEST(MemleakPageSite, FallsBackToTheFirstFrameOutsideTracingWithoutAnAllocatorFrame) {
  EXPECT_EQ(page_site(Stack{"bpf_prog_1_page_alloc__tracepoint", "perf_trace_mm_page_alloc",
                            "trace_call_bpf", "some_inlined_caller", "its_caller"}),
            "some_inlined_caller");
}

TEST(MemleakPageSite, IsEmptyWhenTheStackEndsInsideTheAllocator) {
  EXPECT_EQ(page_site(Stack{}), "");
  EXPECT_EQ(page_site(Stack{"perf_trace_mm_page_alloc", "__alloc_pages", "alloc_pages"}), "");
}

TEST(MemleakSlabPages, AreTheSlabAllocatorsOwn) {
  for (const char* site : {"allocate_slab", "new_slab", "alloc_slab_page", "___kmalloc_large_node",
                           "__kmalloc_large_node", "kmalloc_large", "kmalloc_order_trace"})
    EXPECT_TRUE(is_slab_page_site(site)) << site;
  for (const char* site : {"pte_alloc_one", "__filemap_get_folio", "kmalloc_trace", ""})
    EXPECT_FALSE(is_slab_page_site(site)) << site;
}

}  // namespace
}  // namespace ke::collectors::memleak
