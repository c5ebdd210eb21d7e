// Counts heap allocations made through malloc, calloc, realloc and the aligned allocators, process-wide,
// by interposing them in the executable that links this target (descent only; the benchmarks read it).
#include <stdint.h>
uint64_t descent_allocation_count(void);
