//! The memory allocator's settings (mimalloc is the binary's global allocator).

/// mimalloc's `mi_option_purge_delay` (its place in `mi_option_t`, `mimalloc.h`): the
/// `-sys` crate names no constant for it.
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// A command (everything but `serve`) runs for seconds and exits: memory it frees is kept
/// for what it allocates next, not handed back to the system a second later and faulted in
/// again. Reading two databases of 10,000 tables, that saves a fifth of the client's CPU. The
/// service keeps mimalloc's default, which returns memory a long-running process no longer
/// needs.
pub fn keep_freed_memory() {
    // SAFETY: mimalloc's options may be set at any time; the value is a plain integer.
    unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, -1) }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_purge_delay_is_the_option_set() {
        // SAFETY: reads an option.
        let get = || unsafe { libmimalloc_sys::mi_option_get(super::PURGE_DELAY) };
        // mimalloc's default purge delay, 1,000 ms: no other option has it.
        assert_eq!(get(), 1000);
        super::keep_freed_memory();
        assert_eq!(get(), -1);
    }
}
