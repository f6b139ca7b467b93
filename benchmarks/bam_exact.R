# mgcv's bam(discrete = TRUE) against the same fREML fit without rounding, on the first rows of
# a CSV written by make_big_data.py --csv (driven by bench_bam_exact.py; R is not needed by the
# tests).
#
#   Rscript bam_exact.R DATA.csv FAMILY FORMULA NROWS OUTDIR [M,M,...] [exact,default]
#
# Fits, each with nthreads = 1:
#   discrete      bam(discrete = TRUE): each covariate rounded onto 1000 equally spaced points
#                 (compress.df); the tp bases are built on those 1000 points
#   discrete_M    bam(discrete = M, knots = the 1000 points): rounded onto M points, same bases
#   exact         (7th argument has "exact") bam(discrete = 2 * NROWS, knots = the 1000
#                 points): every covariate value kept (no rounding), the same bases as
#                 `discrete`: the exact fit of that model. Its cross-products of two covariates
#                 with 10^6 distinct values each took more than 22 GB at 10^6 rows: small data
#                 only
#   exact_default (7th argument has "default") bam(discrete = 2 * NROWS): every value kept,
#                 mgcv's own tp bases on the exact values (2000 random knots); small data only
# Writes OUTDIR/<fit>_eta.bin (linear predictor of fitted(), at the covariates the fit used),
# OUTDIR/<fit>_pred.bin (predict(discrete = FALSE): linear predictor at the exact covariates)
# and prints one JSON line: seconds, edf per smooth, score, iterations of each fit.
suppressMessages({library(mgcv); library(data.table); library(jsonlite)})
a <- commandArgs(TRUE)
d <- as.data.frame(fread(a[1], nrows = as.numeric(a[4])))
d$g <- factor(d$g)
fam <- if (a[2] == "poisson") poisson() else gaussian()
f <- as.formula(a[3])
out <- a[5]
ms <- if (length(a) >= 6 && nchar(a[6]) > 0) as.numeric(strsplit(a[6], ",")[[1]]) else numeric(0)
grid <- lapply(c(x1 = "x1", x2 = "x2", x3 = "x3"),
               function(v) seq(min(d[[v]]), max(d[[v]]), length.out = 1000))
every <- 2 * nrow(d)
fits <- list(discrete = function() bam(f, data = d, family = fam, discrete = TRUE,
                                       nthreads = 1))
for (m in ms) fits[[paste0("discrete_", m)]] <- local({
  mm <- m
  function() bam(f, data = d, family = fam, discrete = mm, knots = grid, nthreads = 1)
})
extra <- if (length(a) >= 7) strsplit(a[7], ",")[[1]] else character(0)
if ("exact" %in% extra)
  fits$exact <- function() bam(f, data = d, family = fam, discrete = every, knots = grid,
                               nthreads = 1)
if ("default" %in% extra)
  fits$exact_default <- function() bam(f, data = d, family = fam, discrete = every,
                                       nthreads = 1)
res <- list()
for (nm in names(fits)) {
  t0 <- proc.time()[["elapsed"]]
  b <- fits[[nm]]()
  secs <- proc.time()[["elapsed"]] - t0
  edf <- sapply(b$smooth, function(s) sum(b$edf[s$first.para:s$last.para]))
  names(edf) <- sapply(b$smooth, function(s) s$label)
  writeBin(as.numeric(b$linear.predictors), file.path(out, paste0(nm, "_eta.bin")))
  writeBin(as.numeric(predict(b, newdata = d, discrete = FALSE)),
           file.path(out, paste0(nm, "_pred.bin")))
  res[[nm]] <- list(seconds = secs, edf = as.list(edf), score = b$gcv.ubre[[1]],
                    iterations = if (is.null(b$iter)) NA else b$iter)
  rm(b); invisible(gc())
  message(nm, ": ", round(secs, 1), " s")
}
cat(toJSON(res, auto_unbox = TRUE, digits = NA), "\n")
