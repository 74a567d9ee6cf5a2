# Golden values for cohort.bias (tests/cohort/bias), computed independently in base R.
#
# Run from this folder:  Rscript make_golden_bias.R
# Writes golden_bias_simple.csv, golden_bias_tipping.csv, golden_evalues.csv,
# golden_bias_probabilistic.csv and golden_power.csv next to this script.
# The CSVs are committed; CI has no R and the Python tests only read them.
#
# R's episensr and EValue are not installable here (no CRAN access; Debian ships
# neither), so the formulas are written out below from their sources, as
# make_golden.R does for Woolf and Breslow-Day; pwr (r-cran-pwr) gives the
# closed-form power. Tables are in the command line's order
# a = MC- met-, b = MC- met+, c = MC+ met-, d = MC+ met+ (cases = met+).
#
# Simple correction (Lash, Fox & Fink 2021, ch. 6): among cases (met+) with M1
# patients of whom d read MC+, true MC+ = (d - (1 - Sp1) M1) / (Se1 + Sp1 - 1);
# likewise among controls. Impossible when a corrected cell < 0 (or Se+Sp <= 1).
# Interval: delta method for log OR as a function of the observed shares read
# MC+ (p1, p0), with the derivatives taken NUMERICALLY here (central
# differences), Var(p) = p (1 - p) / n; the Python code uses the closed form.
# Tipping points: uniroot on the corrected log OR.
# E-values (VanderWeele & Ding 2017): RR + sqrt(RR (RR - 1)); OR -> RR by sqrt
# when the outcome is common, as EValue::evalues.OR(rare = FALSE).
# Probabilistic (Fox, MacLehose & Lash 2021 ch. 8, summary level): see
# prob_bias() below; 200,000 draws with R's own RNG, so the Python results
# agree within Monte Carlo error only.
# Power: pwr.2p2n.test (arcsine); simulation with glm, chisq.test / fisher.test
# and mantelhaen.test from the reconstructed cohort ../../../data/cohort/records.csv.

suppressPackageStartupMessages(library(pwr))
options(digits = 15)
fmt <- function(x) ifelse(is.na(x), NA, trimws(formatC(x, digits = 15, format = "g")))

correct_cells <- function(v, se1, sp1, se0, sp0) {
  M1 <- v[2] + v[4]; M0 <- v[1] + v[3]
  d <- (v[4] - (1 - sp1) * M1) / (se1 + sp1 - 1)
  c <- (v[3] - (1 - sp0) * M0) / (se0 + sp0 - 1)
  c(M0 - c, M1 - d, c, d)
}
log_or_from_shares <- function(p1, p0, M1, M0, se1, sp1, se0, sp0) {
  q1 <- (p1 - (1 - sp1)) / (se1 + sp1 - 1)
  q0 <- (p0 - (1 - sp0)) / (se0 + sp0 - 1)
  log(q1 / (1 - q1)) - log(q0 / (1 - q0))
}

ci_numeric <- function(v, se1, sp1, se0, sp0, h = 1e-6) {
  M1 <- v[2] + v[4]; M0 <- v[1] + v[3]; p1 <- v[4] / M1; p0 <- v[3] / M0
  cells <- correct_cells(v, se1, sp1, se0, sp0)
  or <- cells[1] * cells[4] / (cells[2] * cells[3])
  g1 <- (log_or_from_shares(p1 + h, p0, M1, M0, se1, sp1, se0, sp0) -
         log_or_from_shares(p1 - h, p0, M1, M0, se1, sp1, se0, sp0)) / (2 * h)
  g0 <- (log_or_from_shares(p1, p0 + h, M1, M0, se1, sp1, se0, sp0) -
         log_or_from_shares(p1, p0 - h, M1, M0, se1, sp1, se0, sp0)) / (2 * h)
  se <- sqrt(g1^2 * p1 * (1 - p1) / M1 + g0^2 * p0 * (1 - p0) / M0)
  c(exp(log(or) - qnorm(0.975) * se), exp(log(or) + qnorm(0.975) * se))
}

simple_cases <- list(
  paper_perfect        = list(v = c(34, 8, 22, 17), p = c(1, 1, 1, 1)),
  paper_nd_90_95       = list(v = c(34, 8, 22, 17), p = c(.9, .95, .9, .95)),
  paper_nd_80_90       = list(v = c(34, 8, 22, 17), p = c(.8, .9, .8, .9)),
  paper_nd_70_99       = list(v = c(34, 8, 22, 17), p = c(.7, .99, .7, .99)),
  paper_diff_se        = list(v = c(34, 8, 22, 17), p = c(1, 1, .7, 1)),
  paper_diff_sp        = list(v = c(34, 8, 22, 17), p = c(1, .6, 1, 1)),
  paper_diff_mixed     = list(v = c(34, 8, 22, 17), p = c(.95, .85, .75, .9)),
  paper_impossible     = list(v = c(34, 8, 22, 17), p = c(.6, .5, .6, .5)),
  paper_impossible_sp  = list(v = c(34, 8, 22, 17), p = c(.9, .55, .9, .55)),
  paper_uninformative  = list(v = c(34, 8, 22, 17), p = c(.5, .5, .5, .5)),
  fink_lash_nd         = list(v = c(4296, 1449, 668, 215), p = c(.78, .99, .78, .99)),
  fink_lash_diff       = list(v = c(4296, 1449, 668, 215), p = c(.13, .91, .78, 1)),
  chu_2006             = list(v = c(224, 92, 71, 126), p = c(.94, .97, .94, .97)),
  demo_like            = list(v = c(50, 9, 6, 16), p = c(.45, .97, .45, .97))
)
rows <- list()
for (name in names(simple_cases)) {
  v <- simple_cases[[name]]$v; p <- simple_cases[[name]]$p
  se1 <- p[1]; sp1 <- p[2]; se0 <- p[3]; sp0 <- p[4]
  M1 <- v[2] + v[4]; M0 <- v[1] + v[3]
  informative <- (se1 + sp1 > 1) && (se0 + sp0 > 1)
  cells <- if (informative) correct_cells(v, se1, sp1, se0, sp0) else rep(NA, 4)
  possible <- informative && all(cells >= 0)
  or <- lo <- hi <- NA
  if (possible && all(cells > 0)) {
    or <- cells[1] * cells[4] / (cells[2] * cells[3])
    p1 <- v[4] / M1; p0 <- v[3] / M0; h <- 1e-6
    g1 <- (log_or_from_shares(p1 + h, p0, M1, M0, se1, sp1, se0, sp0) -
           log_or_from_shares(p1 - h, p0, M1, M0, se1, sp1, se0, sp0)) / (2 * h)
    g0 <- (log_or_from_shares(p1, p0 + h, M1, M0, se1, sp1, se0, sp0) -
           log_or_from_shares(p1, p0 - h, M1, M0, se1, sp1, se0, sp0)) / (2 * h)
    se <- sqrt(g1^2 * p1 * (1 - p1) / M1 + g0^2 * p0 * (1 - p0) / M0)
    lo <- exp(log(or) - qnorm(0.975) * se); hi <- exp(log(or) + qnorm(0.975) * se)
  }
  rows[[name]] <- data.frame(name = name, a = v[1], b = v[2], c = v[3], d = v[4],
    se_met_pos = se1, sp_met_pos = sp1, se_met_neg = se0, sp_met_neg = sp0,
    informative = informative, possible = possible,
    corr_a = fmt(cells[1]), corr_b = fmt(cells[2]), corr_c = fmt(cells[3]), corr_d = fmt(cells[4]),
    odds_ratio = fmt(or), ci_low = fmt(lo), ci_high = fmt(hi))
}
write.csv(do.call(rbind, rows), "golden_bias_simple.csv", row.names = FALSE, quote = FALSE, na = "")

# ---- tipping points: one parameter varied, the others 1 -----------------------------
# criterion "estimate": the corrected OR reaches 1; "ci": its lower 95% limit (numeric delta method) does.
tip_rows <- list()
for (tab in list(list(name = "paper", v = c(34, 8, 22, 17)), list(name = "demo_like", v = c(50, 9, 6, 16)))) {
  v <- tab$v
  for (criterion in c("estimate", "ci"))
  for (param in c("se_met_pos", "sp_met_pos", "se_met_neg", "sp_met_neg", "se_both", "sp_both")) {
    f <- function(x) {
      p <- c(se1 = 1, sp1 = 1, se0 = 1, sp0 = 1)
      key <- switch(param, se_met_pos = "se1", sp_met_pos = "sp1", se_met_neg = "se0", sp_met_neg = "sp0",
                    se_both = c("se1", "se0"), sp_both = c("sp1", "sp0"))
      p[key] <- x
      cells <- correct_cells(v, p["se1"], p["sp1"], p["se0"], p["sp0"])
      if (any(!is.finite(cells)) || any(cells <= 0)) return(NA)
      if (criterion == "ci") return(log(ci_numeric(v, p["se1"], p["sp1"], p["se0"], p["sp0"])[1]))
      log(cells[1] * cells[4] / (cells[2] * cells[3]))
    }
    xs <- seq(1, 0, length.out = 2001); fx <- sapply(xs, f); value <- NA
    for (i in seq_len(length(xs) - 1)) {
      if (!is.na(fx[i]) && !is.na(fx[i + 1]) && fx[i] * fx[i + 1] <= 0) {
        value <- if (fx[i] == 0) xs[i] else uniroot(f, c(xs[i + 1], xs[i]), tol = 1e-13)$root; break
      }
    }
    tip_rows[[paste(tab$name, criterion, param)]] <- data.frame(table = tab$name, a = v[1], b = v[2], c = v[3],
                                                     d = v[4], criterion = criterion, parameter = param, value = fmt(value))
  }
}
write.csv(do.call(rbind, tip_rows), "golden_bias_tipping.csv", row.names = FALSE, quote = FALSE, na = "")

# ---- E-values ---------------------------------------------------------------------
evalue_rr <- function(rr, true = 1) { x <- if (rr >= true) rr / true else true / rr; x + sqrt(x * (x - 1)) }
ev_cases <- list(
  paper_crude        = list(est = 3.284, lo = 1.212, hi = 8.899, rare = FALSE, true = 1),
  paper_crude_exact  = list(est = 34 * 17 / (8 * 22), lo = NA, hi = NA, rare = FALSE, true = 1),
  stage_mh_1         = list(est = 2.558196, lo = 0.899088, hi = 7.278894, rare = FALSE, true = 1),
  stage_mh_2         = list(est = 2.494879, lo = 0.881937, hi = 7.057675, rare = FALSE, true = 1),
  stage_mh_3         = list(est = 2.366244, lo = 0.860373, hi = 6.507774, rare = FALSE, true = 1),
  protective_common  = list(est = 0.6, lo = 0.45, hi = 0.8, rare = FALSE, true = 1),
  protective_rare    = list(est = 0.86, lo = 0.75, hi = 0.99, rare = TRUE, true = 1),
  rare_or            = list(est = 2.5, lo = 1.4, hi = 4.4, rare = TRUE, true = 1),
  shifted_true       = list(est = 2.0, lo = 1.3, hi = 3.1, rare = TRUE, true = 1.2)
)
ev_rows <- list()
for (name in names(ev_cases)) {
  e <- ev_cases[[name]]
  conv <- if (e$rare) identity else sqrt
  rr <- conv(e$est); lo <- if (is.na(e$lo)) NA else conv(e$lo); hi <- if (is.na(e$hi)) NA else conv(e$hi)
  ev_ci <- NA
  if (rr >= e$true && !is.na(lo)) ev_ci <- if (lo <= e$true) 1 else evalue_rr(lo, e$true)
  if (rr < e$true && !is.na(hi)) ev_ci <- if (hi >= e$true) 1 else evalue_rr(hi, e$true)
  ev_rows[[name]] <- data.frame(name = name, odds_ratio = fmt(e$est), ci_low = fmt(e$lo), ci_high = fmt(e$hi),
    rare = e$rare, true = e$true, rr = fmt(rr), rr_low = fmt(lo), rr_high = fmt(hi),
    evalue_estimate = fmt(evalue_rr(rr, e$true)), evalue_ci = fmt(ev_ci))
}
write.csv(do.call(rbind, ev_rows), "golden_evalues.csv", row.names = FALSE, quote = FALSE, na = "")

# ---- probabilistic bias analysis ---------------------------------------------------
prob_bias <- function(v, se_ab, sp_ab, se0_ab = NULL, sp0_ab = NULL, reps = 200000) {
  se1 <- rbeta(reps, se_ab[1], se_ab[2]); sp1 <- rbeta(reps, sp_ab[1], sp_ab[2])
  if (is.null(se0_ab)) { se0 <- se1; sp0 <- sp1 } else {
    se0 <- rbeta(reps, se0_ab[1], se0_ab[2]); sp0 <- rbeta(reps, sp0_ab[1], sp0_ab[2])
  }
  M1 <- v[2] + v[4]; M0 <- v[1] + v[3]
  D <- (v[4] - (1 - sp1) * M1) / (se1 + sp1 - 1); B <- M1 - D
  C <- (v[3] - (1 - sp0) * M0) / (se0 + sp0 - 1); A <- M0 - C
  ok <- (se1 + sp1 > 1) & (se0 + sp0 > 1) & A > 0 & B > 0 & C > 0 & D > 0
  or_sys <- ifelse(ok, A * D / (B * C), NA)
  # systematic + random: sampled prevalences, predictive values, re-classification, Woolf shift
  prev1 <- rbeta(reps, ifelse(ok, D, 1), ifelse(ok, B, 1))
  prev0 <- rbeta(reps, ifelse(ok, C, 1), ifelse(ok, A, 1))
  ppv1 <- se1 * prev1 / (se1 * prev1 + (1 - sp1) * (1 - prev1))
  npv1 <- sp1 * (1 - prev1) / (sp1 * (1 - prev1) + (1 - se1) * prev1)
  ppv0 <- se0 * prev0 / (se0 * prev0 + (1 - sp0) * (1 - prev0))
  npv0 <- sp0 * (1 - prev0) / (sp0 * (1 - prev0) + (1 - se0) * prev0)
  d <- rbinom(reps, v[4], ppv1) + rbinom(reps, v[2], 1 - npv1)
  c <- rbinom(reps, v[3], ppv0) + rbinom(reps, v[1], 1 - npv0)
  b <- M1 - d; a <- M0 - c
  usable <- ok & a > 0 & b > 0 & c > 0 & d > 0
  z <- rnorm(reps)
  or_tot <- ifelse(usable, exp(log(a * d / (b * c)) - z * sqrt(1 / a + 1 / b + 1 / c + 1 / d)), NA)
  q <- function(x) quantile(x, c(.5, .025, .975), na.rm = TRUE, names = FALSE)
  c(q(or_sys), mean(!ok), q(or_tot), mean(!usable))
}
set.seed(20250411)
prob_cases <- list(
  paper_nd_tight = list(v = c(34, 8, 22, 17), se = c(41, 3), sp = c(45, 5)),
  paper_nd_wide  = list(v = c(34, 8, 22, 17), se = c(8, 2), sp = c(18, 2)),
  paper_nd_many_impossible = list(v = c(34, 8, 22, 17), se = c(4, 2), sp = c(4, 2)),
  paper_diff     = list(v = c(34, 8, 22, 17), se = c(30, 3), sp = c(40, 3), se0 = c(20, 6), sp0 = c(45, 2)),
  fink_lash_nd   = list(v = c(4296, 1449, 668, 215), se = c(78, 22), sp = c(99, 1))
)
prob_rows <- list()
for (name in names(prob_cases)) {
  pc <- prob_cases[[name]]
  r <- prob_bias(pc$v, pc$se, pc$sp, pc$se0, pc$sp0)
  prob_rows[[name]] <- data.frame(name = name, a = pc$v[1], b = pc$v[2], c = pc$v[3], d = pc$v[4],
    se_alpha = pc$se[1], se_beta = pc$se[2], sp_alpha = pc$sp[1], sp_beta = pc$sp[2],
    se0_alpha = if (is.null(pc$se0)) NA else pc$se0[1], se0_beta = if (is.null(pc$se0)) NA else pc$se0[2],
    sp0_alpha = if (is.null(pc$sp0)) NA else pc$sp0[1], sp0_beta = if (is.null(pc$sp0)) NA else pc$sp0[2],
    n_draws = 200000,
    sys_median = fmt(r[1]), sys_low = fmt(r[2]), sys_high = fmt(r[3]), sys_share_impossible = fmt(r[4]),
    tot_median = fmt(r[5]), tot_low = fmt(r[6]), tot_high = fmt(r[7]), tot_share_impossible = fmt(r[8]))
}
write.csv(do.call(rbind, prob_rows), "golden_bias_probabilistic.csv", row.names = FALSE, quote = FALSE, na = "")

# ---- power ---------------------------------------------------------------------------
rec <- read.csv("../../../data/cohort/records.csv", stringsAsFactors = FALSE)
mc <- as.integer(rec$microcalcification == "positive")
met <- as.integer(rec$bone_metastasis == "positive")
stage <- as.integer(rec$stage == "locally_advanced")
fit <- glm(met ~ mc + stage, family = binomial, control = glm.control(epsilon = 1e-14, maxit = 100))
share <- mean(mc); base <- mean(met[mc == 0]); rho2 <- cor(mc, stage)^2
risk_for <- function(or) { o <- or * base / (1 - base); o / (1 + o) }
cf_power <- function(or, n, r2) {
  ne <- n * (1 - r2)
  pwr.2p2n.test(h = ES.h(risk_for(or), base), n1 = ne * share, n2 = ne * (1 - share), sig.level = 0.05)$power
}
cf_n <- function(or, r2) uniroot(function(n) cf_power(or, n, r2) - 0.8, c(10, 1e5), tol = 1e-10)$root
crude_or <- 34 * 17 / (8 * 22); adj_or <- exp(coef(fit)[["mc"]])
sim_power <- function(n, analysis, reps = 4000) {
  b <- coef(fit); hits <- 0
  for (i in seq_len(reps)) {
    idx <- sample.int(length(mc), n, replace = TRUE)
    m <- mc[idx]; s <- stage[idx]
    y <- rbinom(n, 1, plogis(b[1] + b[2] * m + b[3] * s))
    if (analysis == "crude") {
      t <- table(factor(m, 0:1), factor(y, 0:1))
      if (any(rowSums(t) == 0) || any(colSums(t) == 0)) next
      e <- outer(rowSums(t), colSums(t)) / n
      p <- if (min(e) < 5) fisher.test(t)$p.value else suppressWarnings(chisq.test(t, correct = TRUE)$p.value)
    } else {
      t <- table(factor(m, 0:1), factor(y, 0:1), factor(s, 0:1))
      p <- tryCatch(mantelhaen.test(t, correct = TRUE)$p.value, error = function(e) 1)
    }
    if (!is.na(p) && p < 0.05) hits <- hits + 1
  }
  hits / reps
}
set.seed(81)
pw <- data.frame(
  analysis = c("crude", "stage-adjusted", "crude", "stage-adjusted"),
  odds_ratio = fmt(c(crude_or, adj_or, crude_or, adj_or)),
  n = c(81, 81, 130, 240),
  closed_form_power = fmt(c(cf_power(crude_or, 81, 0), cf_power(adj_or, 81, rho2),
                            cf_power(crude_or, 130, 0), cf_power(adj_or, 240, rho2))),
  closed_form_n80 = fmt(c(cf_n(crude_or, 0), cf_n(adj_or, rho2), cf_n(crude_or, 0), cf_n(adj_or, rho2))),
  simulated_power = c(sim_power(81, "crude"), sim_power(81, "adjusted"), sim_power(130, "crude"), sim_power(240, "adjusted")),
  n_simulations = 4000,
  baseline_risk = fmt(base), share_mc_positive = fmt(share), rho2 = fmt(rho2)
)
write.csv(pw, "golden_power.csv", row.names = FALSE, quote = FALSE, na = "")
