// CBLAS and LAPACKE from OpenBLAS (Debian: libopenblas-dev, liblapacke-dev).
// Kept apart from CGSL: OpenBLAS's cblas.h and GSL's gsl_cblas.h clash in one module.
#include <cblas.h>
#include <lapacke.h>
