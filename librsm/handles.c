/*
 * handles.c - the handle arena.
 *
 * Every library handle is a fixed-size slot of one array reserved with mmap
 * at first use.  A caller's pointer is validated by arithmetic alone (inside
 * the array, on a slot boundary) and then by the slot's magic, so garbage
 * pointers are refused without touching foreign memory.  Freed slots keep
 * RSM_MAGIC_FREE and join the tail of a FIFO free list; fresh slots are
 * preferred until enough freed ones have piled up, so a stale pointer stays
 * invalid for a long time.
 */
#include "rsm_int.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <unistd.h>

/* Reuse a freed slot only when this many are waiting (late reuse). */
#define REUSE_THRESHOLD		1024u
#define NO_SLOT			UINT32_MAX

char *_Atomic rsm_arena;

static pthread_mutex_t handles_mtx = PTHREAD_MUTEX_INITIALIZER;
/* An import's connect finished (rsm_handles_wait). */
static pthread_cond_t handles_cv = PTHREAD_COND_INITIALIZER;
static uint32_t high_water;		/* slots ever handed out */
static uint32_t free_head = NO_SLOT, free_tail = NO_SLOT, free_count;
static uintptr_t token_key;
static _Atomic uintptr_t token_seq;

_Static_assert(sizeof(struct rsm_ctlr) <= RSM_SLOT_SIZE, "ctlr slot");
_Static_assert(sizeof(struct rsm_export) <= RSM_SLOT_SIZE, "export slot");
_Static_assert(sizeof(struct rsm_import) <= RSM_SLOT_SIZE, "import slot");
_Static_assert(sizeof(struct rsm_localmem) <= RSM_SLOT_SIZE, "localmem slot");

void
rsm_handles_lock(void)
{
	pthread_mutex_lock(&handles_mtx);
}

void
rsm_handles_unlock(void)
{
	pthread_mutex_unlock(&handles_mtx);
}

void
rsm_handles_wait(void)
{
	struct timespec ts;

	/* Bounded anyway: a wake-up lost would cost 100 ms, not a hang. */
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += 100 * 1000 * 1000;
	if (ts.tv_nsec >= 1000 * 1000 * 1000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000 * 1000 * 1000;
	}
	(void)pthread_cond_timedwait(&handles_cv, &handles_mtx, &ts);
}

void
rsm_handles_wake(void)
{
	pthread_cond_broadcast(&handles_cv);
}

void
rsm_handles_atfork_prepare(void)
{
	pthread_mutex_lock(&handles_mtx);
}

void
rsm_handles_atfork_parent(void)
{
	pthread_mutex_unlock(&handles_mtx);
}

void
rsm_handles_atfork_child(void)
{
	pthread_mutex_init(&handles_mtx, NULL);
	pthread_cond_init(&handles_cv, NULL);
}

static struct rsm_slot_hdr *
slot_at(char *base, uint32_t i)
{
	return (struct rsm_slot_hdr *)(void *)(base + (size_t)i * RSM_SLOT_SIZE);
}

static char *
arena_init(void)
{
	char *base = atomic_load(&rsm_arena);
	void *p;

	if (base != NULL)
		return base;
	p = mmap(NULL, (size_t)RSM_SLOT_SIZE * RSM_SLOT_COUNT,
	    PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
	    -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	if (getrandom(&token_key, sizeof(token_key), GRND_NONBLOCK) !=
	    (ssize_t)sizeof(token_key))
		token_key = (uintptr_t)p ^ (uintptr_t)getpid();
	atomic_store(&rsm_arena, (char *)p);
	return p;
}

void *
rsm_slot_alloc(uint32_t magic)
{
	struct rsm_slot_hdr *h;
	char *base;
	uint32_t i;

	rsm_handles_lock();
	if ((base = arena_init()) == NULL) {
		rsm_handles_unlock();
		return NULL;
	}
	if (free_head != NO_SLOT &&
	    (free_count >= REUSE_THRESHOLD || high_water == RSM_SLOT_COUNT)) {
		i = free_head;
		free_head = slot_at(base, i)->next_free;
		if (free_head == NO_SLOT)
			free_tail = NO_SLOT;
		free_count--;
	} else if (high_water < RSM_SLOT_COUNT) {
		i = high_water++;
	} else {
		rsm_handles_unlock();
		return NULL;
	}
	h = slot_at(base, i);
	memset((char *)h + sizeof(h->magic), 0, RSM_SLOT_SIZE - sizeof(h->magic));
	h->next_free = NO_SLOT;
	atomic_store_explicit(&h->magic, magic, memory_order_release);
	rsm_handles_unlock();
	return h;
}

void
rsm_slot_free(void *slot)
{
	struct rsm_slot_hdr *h = slot;
	char *base = atomic_load(&rsm_arena);
	uint32_t i = (uint32_t)(((char *)h - base) / RSM_SLOT_SIZE);

	atomic_store_explicit(&h->magic, RSM_MAGIC_FREE, memory_order_release);
	h->next_free = NO_SLOT;
	if (free_tail == NO_SLOT)
		free_head = i;
	else
		slot_at(base, free_tail)->next_free = i;
	free_tail = i;
	free_count++;
}

void
rsm_slot_foreach(uint32_t magic, void (*fn)(void *slot, void *arg), void *arg)
{
	char *base = atomic_load(&rsm_arena);
	uint32_t i;

	if (base == NULL)
		return;
	for (i = 0; i < high_water; i++) {
		struct rsm_slot_hdr *h = slot_at(base, i);

		if (atomic_load_explicit(&h->magic, memory_order_relaxed) == magic)
			fn(h, arg);
	}
}

/*
 * Notifications name a daemon handle; a linear scan finds its slot.  They
 * are rare next to data traffic, and the scan stays within the high-water
 * mark, which late reuse keeps near the number of live handles + 1024.
 */
void *
rsm_slot_find(uint32_t magic, uint64_t epoch, uint64_t dh)
{
	char *base = atomic_load(&rsm_arena);
	uint32_t i;

	if (base == NULL || dh == 0)
		return NULL;
	for (i = 0; i < high_water; i++) {
		struct rsm_slot_hdr *h = slot_at(base, i);

		if (atomic_load_explicit(&h->magic, memory_order_relaxed) ==
		    magic && h->dh == dh && h->epoch == epoch)
			return h;
	}
	return NULL;
}

uintptr_t
rsm_barrier_token_new(void)
{
	uintptr_t t;

	/* Odd values never look like an aligned pointer; never 0. */
	do {
		t = ((atomic_fetch_add(&token_seq, 1) + 1) * 0x9e3779b97f4a7c15ull) ^
		    token_key;
		t |= 1;
	} while (t == 0);
	return t;
}

size_t
rsm_pagesize(void)
{
	static size_t pg;

	if (pg == 0)
		pg = (size_t)sysconf(_SC_PAGESIZE);
	return pg;
}
