//! The learning rate of every optimiser step: linear warmup from 0, then linear decay to 0 at the
//! last step, or a constant rate.

use lorasearch_runtime::config::ScheduleKind;

/// The learning rate as a function of the step number.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LearningRateSchedule {
    pub peak_learning_rate: f64,
    pub kind: ScheduleKind,
    pub warmup_steps: usize,
    pub total_steps: usize,
}

impl LearningRateSchedule {
    /// The rate of the step that follows `completed_steps` steps (the first step is step 0).
    ///
    /// During warmup the rate grows as `completed_steps / warmup_steps`, so the first step of a
    /// warmup runs at 0; after it, the linear schedule falls to 0 at `total_steps`.
    #[must_use]
    #[allow(clippy::cast_precision_loss)]
    pub fn learning_rate(&self, completed_steps: usize) -> f64 {
        if completed_steps < self.warmup_steps {
            return self.peak_learning_rate * completed_steps as f64 / self.warmup_steps as f64;
        }
        match self.kind {
            ScheduleKind::Constant => self.peak_learning_rate,
            ScheduleKind::Linear => {
                let decay_steps = self.total_steps.saturating_sub(self.warmup_steps).max(1);
                let remaining = self.total_steps.saturating_sub(completed_steps);
                self.peak_learning_rate * remaining as f64 / decay_steps as f64
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn linear(warmup_steps: usize) -> LearningRateSchedule {
        LearningRateSchedule { peak_learning_rate: 1.0, kind: ScheduleKind::Linear, warmup_steps, total_steps: 10 }
    }

    #[test]
    fn linear_starts_at_peak_without_warmup() {
        assert_eq!(linear(0).learning_rate(0), 1.0);
    }

    #[test]
    fn linear_decays_towards_zero() {
        assert!((linear(0).learning_rate(9) - 0.1).abs() < 1e-12);
    }

    #[test]
    fn linear_warmup_starts_at_zero() {
        assert_eq!(linear(4).learning_rate(0), 0.0);
    }

    #[test]
    fn linear_warmup_reaches_peak() {
        assert_eq!(linear(4).learning_rate(4), 1.0);
    }

    #[test]
    fn linear_after_warmup_decays_over_remaining_steps() {
        assert!((linear(4).learning_rate(7) - 0.5).abs() < 1e-12);
    }

    #[test]
    fn constant_stays_at_peak() {
        let schedule = LearningRateSchedule { kind: ScheduleKind::Constant, ..linear(0) };
        assert_eq!(schedule.learning_rate(9), 1.0);
    }
}
