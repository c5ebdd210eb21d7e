// descent-bench: the benchmark behind `descent bench`, an executable of its own because it counts
// allocations by interposing malloc for the whole process (CAllocCounter), which the descent binary
// must not do. The BLAS kernel is chosen as descent chooses it (BLASKernel), then the benchmark runs.
import BLASKernel

selectBLASKernel()
Bench.main()
