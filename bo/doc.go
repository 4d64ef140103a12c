// Package bo is the Bayesian-optimisation toolkit behind the baseline
// tuners that ConfigNavigator is compared with (paper §4.1, "Alternative
// Solutions": CharmSeeker and Aquatope; see BASELINES.md). It provides:
//
//   - Gaussian-process regression (GP) on inputs in the unit hypercube, with
//     a constant mean, homoscedastic Gaussian noise that is learned, and a
//     Matérn-5/2 or squared-exponential kernel with one length-scale per
//     input (ARD). Outputs are standardised internally and predictions come
//     back in the original units. The covariance is factorised with gonum's
//     Cholesky; if it is not numerically positive definite a jitter of 1e-10
//     times the mean diagonal is added and raised tenfold up to 1e-3 before
//     Fit gives up with ErrNotPositiveDefinite. NaN or infinite data are
//     rejected with an error naming the offending index.
//   - Hyperparameters in log space, fitted by maximum likelihood or, with a
//     Prior, maximum a posteriori (gonum/optimize's L-BFGS with analytic
//     gradients and several seeded restarts), or integrated out by slice
//     sampling (SliceSample) and averaged over with an Ensemble.
//   - Acquisition functions for minimisation: closed-form expected
//     improvement with an exploration offset (EI), probability of
//     feasibility (ProbFeasible), their product (ConstrainedEI), and batch
//     noisy expected improvement (QNEI) estimated by quasi-Monte-Carlo over
//     the joint posterior of a q-batch and the observed points, with an
//     outcome constraint folded in by a sigmoid feasibility weight.
//   - Acquisition optimisation (Maximize, MaximizeEI, QNEI.Optimize) as
//     BoTorch's optimize_acqf: raw scrambled-Sobol samples, Boltzmann-chosen
//     restarts, each refined by gradient-based local search (gonum's L-BFGS
//     on the box mapped to the real line), jointly over the q points of a
//     batch; QNEI supplies the exact gradient of its Monte-Carlo estimate
//     (QNEI.ValueGrad, MaximizeGrad), other acquisitions central
//     differences; compass search as an option.
//   - Designs: the Sobol sequence with Joe and Kuo's direction numbers
//     (optionally scrambled), Latin hypercubes, and Grid to map a discrete
//     knob such as the 32 memory sizes of a Lambda function to and from
//     [0,1].
//
// Which baseline uses what:
//
//   - CharmSeeker (Spearmint) models log cost and log time of each stage with
//     two GPs (Matérn-5/2 ARD, constant mean, noise), samples their
//     hyperparameters by slice sampling under CharmSeekerPrior (length-scales
//     top-hat on (0, 2], amplitude log-normal, noise horseshoe 0.1) and
//     averages EI (cost step, ξ = 0.1) or EI × P(cost ≤ budget) (time step,
//     ξ = 0.01) over 20 samples; its first points come from a Sobol grid and
//     its budget splits from a Latin hypercube. Note that its code offsets
//     EI the other way round from the textbook; see EI.
//   - Aquatope (BoTorch) fits an objective and a constraint GP (Matérn-5/2
//     ARD, Gaussian noise learned) by maximising the marginal likelihood under
//     AquatopePrior (length-scale Γ(3, 6), output scale Γ(2, 0.15)), and
//     chooses batches of q = 3 by qNEI with 32 quasi-Monte-Carlo samples and
//     a sigmoid feasibility weight (η = 1e-3), optimised from 32 raw samples
//     and 10 restarts. Its outlier filter needs leave-one-out predictions
//     (LeaveOneOut). QNEIConfig.InfeasibleValue selects its literal
//     (infeasible_cost = 0) or corrected behaviour: with 0 and BoTorch's
//     non-negative clamp, f̃ = min(f, 0)·w, so only posterior samples of a
//     negative objective count: the acquisition is zero where the objective
//     GP is confident that it is positive and positive where its posterior
//     reaches below zero.
//
// Why this is written here on top of gonum: gonum offers linear algebra and
// local optimisation but no Gaussian processes or Bayesian optimisation, and
// the Go GP/BO libraries that exist (github.com/d4l3k/go-bayesopt, an
// isotropic Matérn kernel with fixed length-scale and UCB only;
// bitbucket.org/dtolpin/gogp, GP regression on the Infergo probabilistic
// language) offer neither ARD hyperparameter learning with priors, slice
// sampling, constrained EI nor qNEI. The package uses gonum's mat, lapack,
// floats and optimize packages (L-BFGS with an Armijo backtracking line
// search for the hyperparameters).
//
// Randomness is never global: every random choice takes a *rand.Rand
// (math/rand/v2) or a seed, and the same seed gives bit-identical results.
// Errors are prefixed "bo: " and wrap the sentinels ErrBadInput,
// ErrNotFitted and ErrNotPositiveDefinite.
package bo
