// The memleak collector's pure logic, apart for unit tests: naming the site of a page allocation
// from its stack, and deciding which page allocations are the slab allocator's own.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace ke::collectors::memleak {

// A function name without what the compiler and the kernel's allocation profiling add to it:
// leading underscores, ".part.0"-style clone suffixes and "_noprof".
std::string_view base_name(std::string_view function);

// True for the page allocator's entry points and wrappers (alloc_pages, folio_alloc,
// __get_free_pages, ...), which a page allocation passes through on its way to the tracepoint.
bool is_page_allocator(std::string_view function);

// The site of a page allocation whose stack has these functions, innermost first: the first
// function after the page allocator's frames; when no frame is the page allocator's, the first
// frame outside tracing and BPF. Empty when there is none.
std::string page_site(std::span<const std::string> functions);

// True when the site is the slab allocator getting pages for its caches (or for large
// kmalloc()s): their objects are counted at their own sites already.
bool is_slab_page_site(std::string_view site);

}  // namespace ke::collectors::memleak
