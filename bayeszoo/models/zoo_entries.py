"""The zoo's first entries: multilevel radon models, smooths (mcycle, airquality, CO2, nottem),
the generalized linear mixed models (cbpp, epilepsy, pima, quine, biochemists), eight schools,
distributional models and networks.

:mod:`bayeszoo.models.zoo` lists them first, in this order.
"""

from __future__ import annotations

from bayeszoo.formula.bf import bf

from .zoo_entry import ZooEntry

#: The entries, in the zoo's order.
ENTRIES: list[ZooEntry] = [
    ZooEntry(
        name="radon_pooled",
        dataset="radon",
        formula="log_radon ~ 1",
        reml_formula="log_radon ~ 1",
        description="Complete pooling: one mean log radon level for every Minnesota home.",
        question="How well does a single state-wide mean predict a home's radon level?",
    ),
    ZooEntry(
        name="radon_unpooled",
        dataset="radon",
        formula="log_radon ~ 0 + county",
        reml_formula="log_radon ~ 0 + county",
        description="No pooling: each of the 85 counties gets its own mean, estimated "
        "independently (county as a fixed factor, flat priors).",
        question="What do the counties look like when none borrows strength from the others, "
        "and how badly do counties with one or two homes overfit?",
        group="county",
    ),
    ZooEntry(
        name="radon_intercept",
        dataset="radon",
        formula="log_radon ~ 1 + (1 | county)",
        reml_formula="log_radon ~ 1 + (1 | county)",
        description="Partial pooling: county intercepts drawn from a common normal distribution "
        "whose sd is learned (non-centered).",
        question="How much do counties differ, and how far are small counties shrunk "
        "towards the state mean?",
        group="county",
    ),
    ZooEntry(
        name="radon_intercept_centered",
        dataset="radon",
        formula="log_radon ~ 1 + (1 | county)",
        reml_formula="log_radon ~ 1 + (1 | county)",
        parameterization="centered",
        description="The same partial-pooling model in the centered parameterization "
        "(r_county ~ Normal(0, sd) sampled directly).",
        question="Does the centered form's funnel show up as divergences and low ESS for "
        "sd_county, where the non-centered form samples cleanly?",
        group="county",
    ),
    ZooEntry(
        name="radon_re_smooth",
        dataset="radon",
        formula='log_radon ~ 1 + s(county, bs="re")',
        reml_formula='log_radon ~ 1 + s(county, bs="re")',
        description="The random intercept written as mgcv's random-effect smooth "
        "s(county, bs='re'): the same design, the same model as radon_intercept.",
        question="Is a random intercept the same thing as a penalized smooth? "
        "(Same design, same posterior, same LOO.)",
        group="county",
    ),
    ZooEntry(
        name="radon_floor",
        dataset="radon",
        formula="log_radon ~ floor + (1 | county)",
        reml_formula="log_radon ~ floor + (1 | county)",
        description="Partial pooling plus a house-level predictor: measured on the first floor "
        "(1) or in the basement (0).",
        question="How much lower is radon measured on the first floor, once counties are "
        "accounted for?",
        group="county",
    ),
    ZooEntry(
        name="radon_uranium",
        dataset="radon",
        formula="log_radon ~ floor + log_uranium + (1 | county)",
        reml_formula="log_radon ~ floor + log_uranium + (1 | county)",
        description="Adds the county-level soil uranium measurement as a group-level predictor.",
        question="How much of the between-county variation does soil uranium explain "
        "(compare sd_county with radon_floor)?",
        group="county",
    ),
    ZooEntry(
        name="radon_states",
        dataset="radon_full",
        formula="log_radon ~ floor + (1 | state) + (1 | state:county)",
        reml_formula="log_radon ~ floor + (1 | state) + (1 | state:county)",
        description="The full 8-state EPA survey (12,777 homes): counties nested in states.",
        question="How does the variation between states compare with the variation between "
        "counties within a state?",
        sampler={"chains": 2, "draws": 500, "tune": 500},
        group="state:county",
    ),
    ZooEntry(
        name="mcycle_cr20",
        dataset="mcycle",
        formula='accel ~ 1 + s(times, bs="cr", k=20)',
        reml_formula='accel ~ 1 + s(times, bs="cr", k=20)',
        description="Head acceleration after a simulated motorcycle crash, a penalized cubic "
        "regression spline with 20 knots (brms: accel ~ s(times, bs = 'cr', k = 20)).",
        question="What is the shape of the acceleration curve, with the wiggliness chosen "
        "by the data?",
        sampler={"target_accept": 0.95},
        smooth="times",
    ),
    ZooEntry(
        name="mcycle_cr50",
        dataset="mcycle",
        formula='accel ~ 1 + s(times, bs="cr", k=50)',
        reml_formula='accel ~ 1 + s(times, bs="cr", k=50)',
        description="The same spline with 50 knots.",
        question="Does a richer basis change the fit once the penalty is learned? "
        "(It should barely: edf and LOO stay put.)",
        sampler={"target_accept": 0.95},
        smooth="times",
    ),
    ZooEntry(
        name="mcycle_cr20_fx",
        dataset="mcycle",
        formula='accel ~ 1 + s(times, bs="cr", k=20, fx=TRUE)',
        reml_formula='accel ~ 1 + s(times, bs="cr", k=20, fx=TRUE)',
        description="The 20-knot basis unpenalized (fx=TRUE): plain regression on 19 basis "
        "columns plus the intercept.",
        question="What does the penalty buy? Compare p_loo (about 20) and elpd_loo with "
        "mcycle_cr20.",
        smooth="times",
    ),
    ZooEntry(
        name="mcycle_tp",
        dataset="mcycle",
        formula="accel ~ 1 + s(times)",
        reml_formula="accel ~ 1 + s(times)",
        description="mgcv's and brms's default smooth: a thin plate regression spline, k=10.",
        question="Is the default basis rich enough for this curve? (k=10 is tight here.)",
        sampler={"target_accept": 0.95},
        smooth="times",
    ),
    # --- smooths in two dimensions and with structure: te, t2, by=, cyclic (issue 16) ---
    ZooEntry(
        name="airquality_te",
        dataset="airquality",
        data_options={"dropna": True},
        formula="Ozone ~ te(Temp, Wind, k=5)",
        reml_formula="Ozone ~ te(Temp, Wind, k=5)",
        parameterization="centered",
        description="Ozone over temperature and wind as mgcv's tensor product te(Temp, Wind): "
        "one block of 21 coefficients with one penalty per margin and the Gaussian prior "
        "REML's penalty implies, sampled centered in the basis that diagonalizes both "
        "penalties (brms refuses te).",
        question="How does ozone depend on temperature and wind together: is the surface more "
        "than the sum of two curves?",
    ),
    ZooEntry(
        name="airquality_t2",
        dataset="airquality",
        data_options={"dropna": True},
        formula="Ozone ~ t2(Temp, Wind, k=5)",
        reml_formula="Ozone ~ t2(Temp, Wind, k=5)",
        description="The same surface as brms builds tensor products: t2(Temp, Wind), three iid "
        "blocks (rr, nr, rn) with an sds each, brms's default priors.",
        question="Do te and t2 give the same surface? (brms's default sds prior binds on t2's "
        "scaled-down columns; compare with airquality_te and with REML.)",
        sampler={"target_accept": 0.99},
    ),
    ZooEntry(
        name="co2_by_type",
        dataset="co2",
        formula="uptake ~ Type + s(conc, by=Type, k=5)",
        reml_formula="uptake ~ Type + s(conc, by=Type, k=5)",
        description="CO2 uptake of grasses from Quebec and Mississippi against ambient CO2: "
        "one smooth per plant type (by=Type), each with its own sds.",
        question="Do the two origins respond to CO2 with curves of different shape, or only "
        "of different level?",
        sampler={"target_accept": 0.99},
    ),
    ZooEntry(
        name="nottem_cyclic",
        dataset="nottem",
        formula='temp ~ s(month, bs="cc", k=12) + s(time, bs="cr", k=10)',
        reml_formula='temp ~ s(month, bs="cc", k=12) + s(time, bs="cr", k=10)',
        knots={"month": (0.5, 12.5)},
        description="Monthly mean temperature at Nottingham 1920-1939: a cyclic smooth of the "
        "month (December joins January: knots at 0.5 and 12.5) plus a smooth trend over time.",
        question="How large is the seasonal cycle, and did Nottingham warm over twenty years?",
        sampler={"target_accept": 0.95},
    ),
    # correlated group-level effects: varying intercepts and slopes
    ZooEntry(
        name="radon_varying_slope",
        dataset="radon",
        formula="log_radon ~ floor + (1 + floor | county)",
        reml_formula="log_radon ~ floor + (1 + floor | county)",
        description="Varying intercepts and varying slopes (Gelman & Hill ch. 13): each county "
        "has its own basement level and its own first-floor difference, drawn from a "
        "bivariate normal whose sds and correlation are learned (LKJ prior, non-centered "
        "through the Cholesky factor).",
        question="Does the first-floor effect differ between counties, and do counties with "
        "high basement radon see larger drops upstairs (the intercept-slope correlation)?",
        group="county",
    ),
    ZooEntry(
        name="sleepstudy_slope",
        dataset="sleepstudy",
        formula="Reaction ~ Days + (Days | Subject)",
        reml_formula="Reaction ~ Days + (Days | Subject)",
        description="Reaction times over ten days of sleep deprivation (lme4's sleepstudy): "
        "each subject has their own starting reaction time and daily slowdown, correlated "
        "(lme4: Reaction ~ Days + (Days | Subject)).",
        question="How much do subjects differ in their baseline and in how fast sleep loss "
        "slows them, and are the two related?",
        group="Subject",
    ),
    # -- families beyond Gaussian (binomial, Poisson, negative binomial, bernoulli, known se)
    ZooEntry(
        name="cbpp_binomial",
        dataset="cbpp",
        formula="incidence | trials(size) ~ period + (1 | herd)",
        reml_formula='incidence | trials(size) ~ period + s(herd, bs="re")',
        family="binomial",
        description="Contagious bovine pleuropneumonia: new cases out of the herd's size in four "
        "periods, a binomial GLMM with a random intercept per herd (lme4's cbpp example).",
        question="How fast does the incidence fall over the four periods, and how much do herds "
        "differ on the log-odds scale?",
        group="herd",
    ),
    ZooEntry(
        name="epilepsy_poisson",
        dataset="epilepsy",
        formula="count ~ zAge + zBase * Trt + (1 | patient)",
        reml_formula='count ~ zAge + zBase * Trt + s(patient, bs="re")',
        family="poisson",
        description="Seizure counts of 59 patients over four visits (brms's epilepsy example): "
        "Poisson with a random intercept per patient.",
        question="Does the treatment reduce seizures, given baseline counts and age? Is a "
        "patient effect enough to absorb the extra-Poisson variation?",
        group="patient",
    ),
    ZooEntry(
        name="epilepsy_negbinomial",
        dataset="epilepsy",
        formula="count ~ zAge + zBase * Trt + (1 | patient)",
        reml_formula='count ~ zAge + zBase * Trt + s(patient, bs="re")',
        family="negbinomial",
        description="The same model with a negative binomial response: a gamma-distributed "
        "multiplier per visit on top of the patient effect (brms's shape, mgcv's theta).",
        question="Does LOO prefer the overdispersed model (compare with epilepsy_poisson), and "
        "how much of the patient variance moves into the shape parameter?",
        group="patient",
    ),
    ZooEntry(
        name="pima_bernoulli",
        dataset="pima",
        formula='type ~ s(glu, bs="cr", k=10) + s(bmi, bs="cr", k=10)',
        reml_formula='type ~ s(glu, bs="cr", k=10) + s(bmi, bs="cr", k=10)',
        family="bernoulli",
        description="Diabetes among Pima women (MASS's Pima.tr): a logistic additive model with "
        "penalized cubic regression splines of plasma glucose and body-mass index.",
        question="How does the probability of diabetes rise with glucose and BMI: linearly on "
        "the log-odds scale, or does the spline find a bend?",
        sampler={"target_accept": 0.95},
        smooth="glu",
    ),
    ZooEntry(
        name="quine_negbinomial",
        dataset="quine",
        formula="Days ~ Eth + Sex + Age + Lrn",
        reml_formula="Days ~ Eth + Sex + Age + Lrn",
        family="negbinomial",
        description="Days absent from school of 146 Australian children (MASS's quine): a "
        "negative binomial regression on ethnicity, sex, age group and learner status.",
        question="Which groups miss more school, and how overdispersed are the counts (brms's "
        "shape, mgcv's theta near 1.2)?",
    ),
    ZooEntry(
        name="eight_schools",
        dataset="eight_schools",
        formula="y | se(sigma) ~ 1 + (1 | school)",
        reml_formula='y | se(sigma) ~ 1 + s(school, bs="re")',
        description="Rubin's eight schools: coaching effects on the SAT-V with known standard "
        "errors, a normal hierarchical model (the classic non-centered example).",
        question="How much do the schools' true effects differ (sd_school__Intercept), and how "
        "far is each school's estimate pulled towards the common mean?",
        sampler={"target_accept": 0.95},
        group="school",
    ),
    # distributional regression and Gaussian processes on mcycle
    ZooEntry(
        name="mcycle_distributional",
        dataset="mcycle",
        formula=bf('accel ~ 1 + s(times, bs="cr", k=20)', sigma='~ 1 + s(times, bs="cr", k=10)'),
        description="The 20-knot spline for the mean and a 10-knot spline for log sigma: the "
        "spread of the acceleration may change with time (brms: bf(accel ~ s(times, bs = 'cr', "
        "k = 20), sigma ~ s(times, bs = 'cr', k = 10)); mgcv's gaulss is its REML twin).",
        question="How much does letting the noise vary with time gain over mcycle_cr20? "
        "(Near zero before impact, largest around 30 ms: about 56 elpd in brms's fit.)",
        sampler={"target_accept": 0.95},
        smooth="times",
    ),
    ZooEntry(
        name="mcycle_gp",
        dataset="mcycle",
        formula="accel ~ 1 + gp(times, k=30, c=5/4)",
        description="A Gaussian process for the mean, brms's Hilbert-space approximation with 30 "
        "basis functions on 5/4 of the (scaled) time range (brms: accel ~ gp(times, k = 30, "
        "c = 5/4)); length-scale prior tuned to the data as brms tunes it.",
        question="Does a GP prior (a length-scale instead of a penalty) fit the curve as well "
        "as the penalized spline, by LOO?",
        sampler={"target_accept": 0.95},
    ),
    # Bayesian neural networks beside the smooths (nn() terms, sampled by NumPyro only)
    ZooEntry(
        name="mcycle_bnn",
        dataset="mcycle",
        formula="accel ~ 1 + nn(times, hidden=20)",
        description="A Bayesian neural network for the mean: one hidden layer of 20 tanh units "
        "on standardized time, Normal priors on the weights (output weights scaled by "
        "1/sqrt(20)), sampled by NUTS; convergence judged on its predictions (function space).",
        question="Does a small network, averaged over its posterior, fit the curve as well as "
        "the penalized spline mcycle_cr20, by LOO?",
    ),
    ZooEntry(
        name="mcycle_bnn_distributional",
        dataset="mcycle",
        formula=bf("accel ~ 1 + nn(times, hidden=20)", sigma="~ 1 + nn(times, hidden=5)"),
        description="The network for the mean and a second network of 5 tanh units for log "
        "sigma: a heteroscedastic Bayesian neural network (the net counterpart of "
        "mcycle_distributional).",
        question="Does letting the noise vary with time gain as much for the network as for the "
        "spline (mcycle_distributional against mcycle_cr20)?",
        sampler={"target_accept": 0.95},
    ),
    ZooEntry(
        name="penguins_gam",
        dataset="penguins",
        data_options={"dropna": True},
        formula="body_mass_g ~ species + sex + s(bill_length_mm) + s(bill_depth_mm) "
        "+ s(flipper_length_mm)",
        reml_formula="body_mass_g ~ species + sex + s(bill_length_mm) + s(bill_depth_mm) "
        "+ s(flipper_length_mm)",
        description="Body mass of 333 Palmer penguins: species and sex as fixed effects and an "
        "additive thin plate smooth of each of the three measurements.",
        question="How much of a penguin's mass do species, sex and its bill and flipper explain, "
        "and are the measurements' effects linear?",
        sampler={"target_accept": 0.95},
    ),
    ZooEntry(
        name="penguins_bnn",
        dataset="penguins",
        data_options={"dropna": True},
        formula="body_mass_g ~ species + sex + nn(bill_length_mm, bill_depth_mm, "
        "flipper_length_mm, hidden=10)",
        description="The same data with a Bayesian neural network of the three measurements "
        "(10 tanh units, interactions allowed) beside species and sex as fixed effects.",
        question="Does a network of the measurements, free to interact, predict mass better "
        "than the additive GAM penguins_gam, by LOO?",
    ),
    # counts with excess zeros (zero-inflated and hurdle) and a positive, skewed response
    ZooEntry(
        name="biochemists_negbinomial",
        dataset="biochemists",
        formula="art ~ fem + mar + kid5 + phd + ment",
        reml_formula="art ~ fem + mar + kid5 + phd + ment",
        family="negbinomial",
        description="Articles by 915 biochemistry PhD students (Long 1990; pscl's bioChemists) "
        "by sex, marriage, young children, programme prestige and the mentor's output: a "
        "negative binomial regression, the baseline for the zero-inflated models.",
        question="Can overdispersion alone account for the 30 % of students with no article, "
        "or do the zeros need a process of their own (compare biochemists_zip and "
        "biochemists_hurdle_nb by LOO)?",
    ),
    ZooEntry(
        name="biochemists_zip",
        dataset="biochemists",
        formula="art ~ fem + mar + kid5 + phd + ment",
        family="zero_inflated_poisson",
        description="The same predictors in a zero-inflated Poisson (brms: zero_inflated_poisson): "
        "a share zi of students who publish nothing whatever their covariates, the rest Poisson.",
        question="How large is the 'never publishes' share zi, and is a Poisson count for the "
        "others enough once it is allowed for?",
    ),
    ZooEntry(
        name="biochemists_hurdle_nb",
        dataset="biochemists",
        formula=bf("art ~ fem + mar + kid5 + phd + ment", hu="~ fem + ment"),
        family="hurdle_negbinomial",
        description="A hurdle negative binomial: whether a student publishes at all (hu, on the "
        "logit scale, by sex and the mentor's output) and, if so, how much (a zero-truncated "
        "negative binomial); brms: bf(art ~ ..., hu ~ fem + ment).",
        question="Does the mentor's output act on whether a student publishes or on how much, "
        "and does the hurdle model beat the zero-inflated Poisson by LOO?",
    ),
    ZooEntry(
        name="airquality_lognormal",
        dataset="airquality",
        data_options={"dropna": True},
        formula="Ozone ~ Temp + Wind",
        family="lognormal",
        description="Ozone against temperature and wind with a lognormal response: effects "
        "multiply the median, and the spread grows with the level (brms: family = lognormal).",
        question="By what factor does each degree of temperature and each mph of wind change "
        "ozone, and does the lognormal's right skew fit the high-ozone days a normal misses?",
    ),
]
