import Linalg
print("descent: BLAS core \(BLAS.coreName)")
