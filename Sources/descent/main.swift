// descent: the command-line tool. The BLAS kernel is chosen before anything else runs (see
// BLASKernel.swift), then the subcommands take over.
selectBLASKernel()
Descent.main()
