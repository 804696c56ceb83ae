/* Mutex acquire latency and hold time by caller (the book's mlock.bt and mheld.bt, BCC's
 * klockstat). Mutexes have no tracepoint outside lock contention (lock:contention_begin fires
 * only on the slow path, and lock_acquire/lock_release need LOCKDEP), so the lock functions
 * themselves are hooked: fentry/fexit, else kprobe/kretprobe. The pairing is in mutex.h.
 *
 * Every lock function has an entry and a return slot, trylock included: a kretprobe cannot see
 * the lock argument, so the entry records it. The caller is taken at return, where both hooks
 * see it reliably (see ke_function_caller). The *_nested variants exist only on kernels built
 * with DEBUG_LOCK_ALLOC (mutex_lock is then a macro for them); they are not hooked. */
#include "mutex.h"

KE_INLINE void on_call(void* lock, __u64 now) {
  mutex_call_enter(ke_current_tid(), now, (__u64)lock);
}

KE_INLINE void on_lock_return(__u64 caller, int ret) {
  mutex_lock_return(ke_current_tid(), bpf_ktime_get_ns(), caller, ret);
}

KE_FUNCTION_ENTRY(lock, mutex_lock, on_call(lock, bpf_ktime_get_ns()), void* lock)
KE_FUNCTION_EXIT(lock_return, mutex_lock, on_lock_return(ke_function_caller(ctx), 0))

KE_FUNCTION_ENTRY(lock_interruptible, mutex_lock_interruptible, on_call(lock, bpf_ktime_get_ns()),
                  void* lock)
KE_FUNCTION_EXIT(lock_interruptible_return, mutex_lock_interruptible,
                 on_lock_return(ke_function_caller(ctx), (int)ke_function_return(ctx)))

KE_FUNCTION_ENTRY(lock_killable, mutex_lock_killable, on_call(lock, bpf_ktime_get_ns()), void* lock)
KE_FUNCTION_EXIT(lock_killable_return, mutex_lock_killable,
                 on_lock_return(ke_function_caller(ctx), (int)ke_function_return(ctx)))

/* No start time: trylock never waits, only its hold is timed. */
KE_FUNCTION_ENTRY(trylock, mutex_trylock, on_call(lock, 0), void* lock)
KE_FUNCTION_EXIT(trylock_return, mutex_trylock,
                 mutex_trylock_return(ke_current_tid(), bpf_ktime_get_ns(), ke_function_caller(ctx),
                                      (int)ke_function_return(ctx)))

KE_FUNCTION_ENTRY(unlock, mutex_unlock,
                  mutex_unlock_enter(ke_current_tid(), bpf_ktime_get_ns(), (__u64)lock), void* lock)

/* Not a measurement point: removes the record of a call whose return was never seen when its
 * thread ends (see mutex.h). The collector is unavailable when only this slot attaches. */
KE_RAW_TRACEPOINT(task_exit, sched_process_exit, mutex_task_exit(ke_current_tid()))
