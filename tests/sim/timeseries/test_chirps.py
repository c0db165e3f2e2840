"""The TaylorF2 inspiral against the post-Newtonian time series by stationary phase, its
Newtonian limit, the noise curve and the Fisher bound's scaling."""

from __future__ import annotations

import numpy as np
import pytest

from physml.sim.timeseries import chirps
from physml.sim.timeseries.strain import Segment, whitened_templates


@pytest.mark.parametrize(("m1", "m2"), [(20.0, 12.0), (1.4, 1.4), (35.0, 34.0)])
def test_stationary_phase_time_is_the_pn_time_to_coalescence(m1: float, m2: float) -> None:
    # t(f) = t_c + (1 / 2 pi) dPsi/df: the 2PN phase coefficients against the independent
    # 2PN chirp-time series (Blanchet's coefficients 743/252, 32 pi / 5, 3058673/508032, ...)
    f = np.linspace(20, 0.8 * chirps.isco_frequency(m1 + m2), 9)
    h = 1e-5 * f
    dpsi = (
        chirps.taylorf2_phase(f + h, m1, m2, pn_order=4, t_c=1.0)
        - chirps.taylorf2_phase(f - h, m1, m2, pn_order=4, t_c=1.0)
    ) / (2 * h)
    np.testing.assert_allclose(
        1.0 - dpsi / (2 * np.pi), chirps.time_to_coalescence(f, m1, m2, pn_order=4), rtol=1e-7
    )


def test_newtonian_chirp_depends_on_the_chirp_mass_alone() -> None:
    f = np.linspace(30, 100, 5)
    mc = chirps.chirp_mass(30.0, 10.0)
    newtonian = 5 / 256 * (mc * chirps.MSUN_SECONDS) ** (-5 / 3) * (np.pi * f) ** (-8 / 3)
    np.testing.assert_allclose(
        chirps.time_to_coalescence(f, 30.0, 10.0, pn_order=0), newtonian, rtol=1e-12
    )
    m1, m2 = chirps.component_masses(mc, 0.2)  # another pair, same chirp mass
    np.testing.assert_allclose(
        chirps.taylorf2_phase(f, m1, m2, pn_order=0),
        chirps.taylorf2_phase(f, 30.0, 10.0, pn_order=0),
        rtol=1e-12,
    )
    assert chirps.symmetric_mass_ratio(m1, m2) == pytest.approx(0.2)


def test_higher_pn_terms_are_ever_smaller_corrections_at_low_frequency() -> None:
    f, m1, m2 = np.array([20.0]), 1.4, 1.4
    phases = [chirps.taylorf2_phase(f, m1, m2, pn_order=k)[0] for k in range(8)]
    corrections = np.abs(np.diff(phases))[[1, 2, 3, 5]]  # 1PN, 1.5PN, 2PN, 3PN
    assert np.all(np.diff(corrections) < 0)
    assert phases[1] == phases[0]  # there is no 0.5PN term
    with pytest.raises(ValueError, match="pn_order"):
        chirps.taylorf2_phase(f, m1, m2, pn_order=8)


def test_aligo_psd_shape() -> None:
    f = np.geomspace(10, 2000, 400)
    s = chirps.aligo_psd(f)
    assert np.all(s > 0)
    assert 100 < f[np.argmin(s)] < 300  # most sensitive near 200 Hz
    assert np.sqrt(s.min()) == pytest.approx(1.8e-24, rel=0.15)


def test_isco_frequency() -> None:
    # 4.4 kHz / (M / M_sun), the textbook number
    assert chirps.isco_frequency(1.0) == pytest.approx(4397, rel=1e-3)


def test_fisher_bound_scales_as_one_over_snr() -> None:
    segment = Segment(2048, 1024.0, 30.0)
    u, _ = whitened_templates(segment, [20.0], [15.0])
    f, w = segment.frequencies, np.abs(u[0]) ** 2
    at8 = chirps.fisher_log_chirp_mass_error(f, w, 20.0, 15.0, 8.0)
    at16 = chirps.fisher_log_chirp_mass_error(f, w, 20.0, 15.0, 16.0)
    assert at16 == pytest.approx(at8 / 2, rel=1e-9)
    known = chirps.fisher_log_chirp_mass_error(f, w, 20.0, 15.0, 8.0, vary_eta=False)
    assert 0 < known < at8  # knowing eta can only help
    assert 1e-3 < known < 0.1


def test_taylorf2_is_the_stationary_phase_transform_of_the_newtonian_chirp() -> None:
    """FFT of the time-domain Newtonian chirp h = f^(2/3) cos Phi(t), Phi = -2 (tau / 5
    M_c)^(5/8): its phase is -Psi(f) of the Newtonian TaylorF2 phase (the -pi/4 and the
    sign conventions) and its amplitude (1/2) f^(2/3) fdot^(-1/2), fdot = (96/5)
    pi^(8/3) M_c^(5/3) f^(11/3)."""
    fs, mc = 4096.0, chirps.chirp_mass(10.0, 10.0) * chirps.MSUN_SECONDS

    def tau_at(f):
        return 5 / 256 * mc ** (-5 / 3) * (np.pi * f) ** (-8 / 3)

    t_c = tau_at(20.0) + 0.5
    t = np.arange(0, 2 * t_c + 1, 1 / fs)
    tau = t_c - t
    live = (tau > tau_at(400.0)) & (tau < tau_at(20.0))
    f_t = (5 / (256 * tau[live])) ** 0.375 * mc**-0.625 / np.pi
    h = np.zeros_like(t)
    h[live] = f_t ** (2 / 3) * np.cos(-2 * (tau[live] / (5 * mc)) ** 0.625)
    ramp = np.clip((t - t[live][0]) / 0.3, 0, 1)  # Hann taper over the first 0.3 s
    h *= 0.5 * (1 - np.cos(np.pi * ramp))
    spectrum, f = np.fft.rfft(h) / fs, np.fft.rfftfreq(t.size, 1 / fs)
    band = (f > 40) & (f < 200)
    psi = chirps.taylorf2_phase(f[band], 10.0, 10.0, pn_order=0, t_c=t_c)
    assert np.abs(np.angle(spectrum[band] * np.exp(1j * psi))).max() < 0.2
    amplitude = np.abs(spectrum[band]) * f[band] ** (7 / 6)
    predicted = 0.5 / np.sqrt(96 / 5 * np.pi ** (8 / 3) * mc ** (5 / 3))
    assert amplitude.mean() == pytest.approx(predicted, rel=0.02)
    assert amplitude.std() < 0.1 * predicted  # f^(-7/6), up to the ripple of the edges
