// Package executor decides what runs when: every NexusTask job, a
// synchronous invoke or an asynchronous task, runs through one Executor.
//
// # Tokens and threads
//
// An Executor has a fixed number of worker tokens, by default one per CPU
// of the process's affinity mask, each bound to one CPU (Config.CPUs,
// Config.Workers). A job runs only while it holds a token: Do runs the job
// on its caller's goroutine, Submit starts one. At its first Yield (its
// first fuel-slice boundary), or as it starts with Config.PinAtStart, the
// goroutine is locked to its OS thread and the thread pinned with
// sched_setaffinity to the token's CPU (Linux; elsewhere pinning is a
// no-op); a job that ends within its first slice never pays for the two
// affinity calls. Once locked, the thread stays locked for the rest of the
// job, across preemptions (the guest's stack lives there), and gets its own
// mask back before it is unlocked, so no pinned thread serves other
// goroutines.
//
// # Order
//
// Waiting jobs sit in one level per priority (0–9, higher first). Within
// a level, categories (tenants, modules) share by weight through stride
// scheduling, counted in jobs dispatched: under overload, categories of
// weights 1:2:4 start 1/7, 2/7 and 4/7 of the jobs, and a category that
// floods the queue delays only itself. With Config.AgingInterval a level
// ranks one higher for each interval its oldest job has waited, so low
// priorities cannot starve forever. Within a category jobs run FIFO.
//
// # Preemption
//
// A running job calls Yield at every fuel-slice boundary (a host.Runtime
// does when given it as the request's Yielder). Yield's fast path is one
// atomic load of the highest priority waiting while no token is free. If
// that outranks the job (Config.Preemption), the job hands its token to
// the waiting job and blocks, suspending its guest mid-execution; it
// queues at the front of its category and resumes on the next token it
// is given, any token, re-pinned to that token's CPU. With
// Config.Quantum, jobs of equal priority take turns the same way, each
// going to the back of its category when its quantum is used. Aging
// orders the queue but never preempts.
//
// # Memory budget and queue timeouts
//
// With Config.MemoryBudget a job starts only when its memory quota
// (Job.MemoryBytes) fits beside those of the started jobs, running or
// suspended; a job that does not fit waits as for a token, and holds back
// every job behind it in order, so nothing overtakes it (a higher
// priority is ahead of it, not behind). Preemption never suspends a job
// for one that would not fit. A job with a Job.QueueTimeout that has not
// started when it passes leaves the queue and fails with
// *QueueTimeoutError; time suspended by preemption does not count.
//
// # NUMA
//
// Tokens know their NUMA node (from /sys/devices/system/node). A new job
// takes a free token on its Job.NUMANode if there is one; a resuming job
// prefers the node it first ran on, where its linear memory was first
// touched and so (by Linux's default local allocation) lives. Both are
// preferences: a job never waits for a particular node while a token is
// free elsewhere. On a single-node machine all tokens are on node 0.
//
// # Admission
//
// Per-category token buckets (Config.Rates) are read with the injected
// Clock. Over its rate an asynchronous job waits for its token; a
// synchronous one waits up to Config.SyncRateWait, then fails with
// *RateLimitError. The queue is bounded (Config.QueueCapacity counts jobs
// accepted but not yet started); when it is full, Submit fails with
// *QueueFullError and nothing accepted is dropped. Canceling a job's
// context removes it from the queue, or stops it at its next Yield.
//
// # Locks
//
// One mutex, Executor.mu, guards the scheduler's state. Under it the
// executor calls the rate limiters (which take their own locks) and the
// Observer; it never calls Run or OnPreempt, and never blocks, while
// holding it. Lock order: Executor.mu, then rate.Limiter's lock or the
// Observer's instruments. Yield's fast path takes no lock.
package executor
