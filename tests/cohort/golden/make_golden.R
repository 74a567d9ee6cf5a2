# Golden values for tests/cohort/stats, computed with base R (an independent tool).
#
# Run from this folder:  Rscript make_golden.R
# Writes golden_2x2.csv, golden_rxc.csv, golden_mh.csv and golden_logit.csv next to this script.
# The CSVs are committed; CI has no R and the Python tests only read them.
#
# Tables are transcribed from ../../../../shared/paper/published_tables.json
# (Tables 2 and 3 of Yulian et al.), oriented as printed: rows = the variable's
# levels in printed order, columns = outcome levels in printed order; OR = ad/bc.
# Extra edge tables: zero cells, tiny counts, Yates clipping, 3 x 3 / 2 x 4.
#
# Tools: chisq.test(correct=FALSE/TRUE), fisher.test (2 x 2 and R x C, exact
# network algorithm), mantelhaen.test (correct=TRUE/FALSE).  The Woolf CI, the
# likelihood-ratio G^2 and the Breslow-Day test are written out from their
# textbook formulas here, because DescTools/epitools are not installed:
#   Woolf:  exp(log(ad/bc) +- qnorm(0.975) * sqrt(1/a + 1/b + 1/c + 1/d))
#   G^2:    2 * sum(O * log(O / E)), 0 log 0 = 0
#   Breslow-Day (no Tarone adjustment): for each stratum the expected a under
#   the common Mantel-Haenszel OR (root of the quadratic in the admissible
#   range), BD = sum (a - E)^2 / Var, Var = 1 / (1/E + 1/(n1-E) + 1/(m1-E) + 1/(n-n1-m1+E)),
#   df = K - 1.

options(digits = 15)
fmt <- function(x) if (is.na(x)) NA else trimws(formatC(x, digits = 15, format = "g"))

tables_2x2 <- list(
  t2_age               = c(17, 18, 25, 21),
  t2_bmi               = c(38, 32, 4, 7),
  t2_menopausal        = c(32, 30, 10, 9),
  t2_stage             = c(17, 6, 25, 33),
  t2_histology         = c(1, 1, 41, 38),
  t3_age_printed       = c(27, 8, 29, 27),
  t3_age_table1        = c(27, 8, 29, 17),
  t3_bmi               = c(50, 20, 6, 5),
  t3_menopausal        = c(45, 17, 11, 8),
  t3_stage             = c(21, 2, 35, 23),
  t3_histology         = c(2, 0, 54, 25),
  t3_microcalcification = c(34, 8, 22, 17),
  edge_zero_cell       = c(0, 5, 6, 4),
  edge_two_zeros       = c(0, 7, 9, 0),
  edge_tiny            = c(1, 2, 2, 1),
  edge_yates_clip      = c(5, 5, 5, 6),
  edge_large           = c(300, 150, 120, 410),
  edge_unbalanced      = c(1, 40, 9, 30)
)

rows <- list()
for (name in names(tables_2x2)) {
  v <- tables_2x2[[name]]
  m <- matrix(v, nrow = 2, byrow = TRUE)
  p0 <- suppressWarnings(chisq.test(m, correct = FALSE))
  p1 <- suppressWarnings(chisq.test(m, correct = TRUE))
  fe <- fisher.test(m)
  e <- p0$expected
  g2 <- 2 * sum(ifelse(m > 0, m * log(m / e), 0))
  if (all(m > 0)) {
    or <- (m[1, 1] * m[2, 2]) / (m[1, 2] * m[2, 1])
    se <- sqrt(sum(1 / m))
    lo <- exp(log(or) - qnorm(0.975) * se)
    hi <- exp(log(or) + qnorm(0.975) * se)
  } else {
    or <- NA; lo <- NA; hi <- NA
  }
  # Haldane-Anscombe (0.5 added to every cell) for tables with a zero cell
  h <- m + 0.5
  hor <- (h[1, 1] * h[2, 2]) / (h[1, 2] * h[2, 1])
  hse <- sqrt(sum(1 / h))
  rows[[name]] <- data.frame(
    name = name, a = v[1], b = v[2], c = v[3], d = v[4],
    pearson_chi2 = fmt(unname(p0$statistic)), pearson_p = fmt(p0$p.value),
    yates_chi2 = fmt(unname(p1$statistic)), yates_p = fmt(p1$p.value),
    lr_chi2 = fmt(g2), lr_p = fmt(pchisq(g2, 1, lower.tail = FALSE)),
    fisher_p = fmt(fe$p.value), min_expected = fmt(min(e)),
    odds_ratio = fmt(or), woolf_low = fmt(lo), woolf_high = fmt(hi),
    haldane_or = fmt(hor), haldane_low = fmt(exp(log(hor) - qnorm(0.975) * hse)),
    haldane_high = fmt(exp(log(hor) + qnorm(0.975) * hse))
  )
}
write.csv(do.call(rbind, rows), "golden_2x2.csv", row.names = FALSE, quote = FALSE, na = "")

# R x C: "r1c1 r1c2|r2c1 r2c2|..." (rows separated by |)
tables_rxc <- list(
  t2_ihc          = rbind(c(17, 6), c(19, 28), c(0, 4), c(6, 1)),
  t3_ihc          = rbind(c(18, 5), c(30, 17), c(1, 3), c(7, 0)),
  t1_histology_9x2 = rbind(c(0, 2), c(13, 44), c(1, 2), c(1, 1), c(8, 4), c(1, 0), c(0, 1), c(1, 1), c(0, 1)),
  edge_3x3        = rbind(c(3, 1, 2), c(1, 4, 0), c(2, 2, 5)),
  edge_2x4        = rbind(c(5, 0, 3, 2), c(1, 6, 2, 4)),
  edge_3x2_zero   = rbind(c(0, 5), c(4, 0), c(3, 3)),
  t2_ihc_as_2x2   = rbind(c(17, 6), c(25, 33))
)
rows <- list()
for (name in names(tables_rxc)) {
  m <- tables_rxc[[name]]
  p0 <- suppressWarnings(chisq.test(m, correct = FALSE))
  e <- p0$expected
  g2 <- 2 * sum(ifelse(m > 0, m * log(m / e), 0))
  fe <- fisher.test(m, workspace = 2e7)
  rows[[name]] <- data.frame(
    name = name,
    table = paste(apply(m, 1, paste, collapse = " "), collapse = "|"),
    pearson_chi2 = fmt(unname(p0$statistic)), pearson_df = unname(p0$parameter),
    pearson_p = fmt(p0$p.value),
    lr_chi2 = fmt(g2), lr_p = fmt(pchisq(g2, unname(p0$parameter), lower.tail = FALSE)),
    fisher_p = fmt(fe$p.value), min_expected = fmt(min(e))
  )
}
write.csv(do.call(rbind, rows), "golden_rxc.csv", row.names = FALSE, quote = FALSE)

breslow_day <- function(x, or_mh) {
  k <- dim(x)[3]
  stat <- 0
  for (j in seq_len(k)) {
    m <- x[, , j]
    n1 <- sum(m[1, ]); m1 <- sum(m[, 1]); n <- sum(m)
    lo <- max(0, m1 - (n - n1)); hi <- min(n1, m1)
    # (E (n - n1 - m1 + E)) / ((n1 - E)(m1 - E)) = or_mh  ->  quadratic in E
    qa <- 1 - or_mh
    qb <- (n - n1 - m1) + or_mh * (n1 + m1)
    qc <- -or_mh * n1 * m1
    if (abs(qa) < 1e-12) {
      ea <- -qc / qb
    } else {
      roots <- Re(polyroot(c(qc, qb, qa)))
      ea <- roots[roots >= lo - 1e-9 & roots <= hi + 1e-9][1]
    }
    v <- 1 / (1 / ea + 1 / (n1 - ea) + 1 / (m1 - ea) + 1 / (n - n1 - m1 + ea))
    stat <- stat + (m[1, 1] - ea)^2 / v
  }
  c(stat, k - 1, pchisq(stat, k - 1, lower.tail = FALSE))
}

# strata: "a b c d;a b c d;..." (one 2 x 2 per stratum, rows as printed)
strata_sets <- list(
  two_strata       = list(c(10, 5, 4, 12), c(8, 6, 5, 9)),
  three_strata     = list(c(12, 8, 6, 14), c(5, 9, 3, 11), c(20, 4, 10, 6)),
  heterogeneous    = list(c(20, 5, 5, 20), c(5, 20, 20, 5)),
  zero_in_stratum  = list(c(0, 6, 4, 10), c(7, 3, 5, 9), c(6, 2, 3, 8)),
  # one split of microcalcification (rows neg/pos) x metastasis (cols neg/pos) by
  # stage that fits the margins of Tables 2 and 3: early 23 (MC+ 6, met+ 2),
  # locally advanced 58 (MC+ 33, met+ 23); summed it is Table 3's [[34, 8], [22, 17]]
  mc_met_by_stage  = list(c(16, 1, 5, 1), c(18, 7, 17, 16))
)
rows <- list()
for (name in names(strata_sets)) {
  s <- strata_sets[[name]]
  x <- array(0, dim = c(2, 2, length(s)))
  for (j in seq_along(s)) x[, , j] <- matrix(s[[j]], nrow = 2, byrow = TRUE)
  mh1 <- mantelhaen.test(x, correct = TRUE)
  mh0 <- mantelhaen.test(x, correct = FALSE)
  bd <- breslow_day(x, unname(mh1$estimate))
  rows[[name]] <- data.frame(
    name = name,
    strata = paste(sapply(s, paste, collapse = " "), collapse = ";"),
    mh_or = fmt(unname(mh1$estimate)), ci_low = fmt(mh1$conf.int[1]), ci_high = fmt(mh1$conf.int[2]),
    mh_chi2 = fmt(unname(mh1$statistic)), mh_p = fmt(mh1$p.value),
    mh_chi2_uncorrected = fmt(unname(mh0$statistic)), mh_p_uncorrected = fmt(mh0$p.value),
    bd_chi2 = fmt(bd[1]), bd_df = bd[2], bd_p = fmt(bd[3])
  )
}
write.csv(do.call(rbind, rows), "golden_mh.csv", row.names = FALSE, quote = FALSE)
cat("wrote golden_2x2.csv golden_rxc.csv golden_mh.csv\n")

# Logistic regression (glm, binomial, Wald intervals) on the
# patient-level data of "mc_met_by_stage": met ~ mc + stage and met ~ mc.
expand <- function(s, stage) {
  m <- matrix(s, nrow = 2, byrow = TRUE)
  out <- NULL
  for (i in 1:2) for (j in 1:2) {
    if (m[i, j] > 0) out <- rbind(out, data.frame(mc = i - 1, met = j - 1, stage = stage)[rep(1, m[i, j]), ])
  }
  out
}
s <- strata_sets[["mc_met_by_stage"]]
pts <- rbind(expand(s[[1]], 0), expand(s[[2]], 1))
rows <- list()
for (model in c("met ~ mc + stage", "met ~ mc")) {
  fit <- glm(as.formula(model), family = binomial, data = pts, control = glm.control(epsilon = 1e-14, maxit = 100))
  # summary.glm takes the standard errors from the weights of the last IRLS
  # step (one step behind the final estimate, ~1e-7 relative); recompute them
  # from the information matrix at the final estimate so both sides are exact.
  X <- model.matrix(fit)
  w <- fitted(fit) * (1 - fitted(fit))
  se <- sqrt(diag(solve(t(X) %*% (X * w))))
  z <- qnorm(0.975)
  for (term in setdiff(names(coef(fit)), "(Intercept)")) {
    b <- coef(fit)[[term]]
    rows[[paste(model, term)]] <- data.frame(
      model = model, term = term, n = nrow(pts),
      odds_ratio = fmt(exp(b)),
      ci_low = fmt(exp(b - z * se[[term]])), ci_high = fmt(exp(b + z * se[[term]])),
      wald_p = fmt(2 * pnorm(-abs(b / se[[term]])))
    )
  }
}
write.csv(do.call(rbind, rows), "golden_logit.csv", row.names = FALSE, quote = FALSE)
cat("wrote golden_logit.csv\n")
