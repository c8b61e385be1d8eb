// A change to a running service (a deploy, a rollback, a config rollout). Times are epoch milliseconds.

export type ChangeSource = 'deploy' | 'github' | 'argocd';

export interface Change {
  /** Stable id so that the same change reported twice is stored once. */
  id: string;
  service: string;
  version: string;
  previousVersion: string | null;
  environment: string | null;
  at: number;
  author: string | null;
  source: ChangeSource;
  /**
   * The rollout was reported failed (a GitHub deployment status `failure` or `error`, an Argo CD sync `Failed` or
   * `Error`): part of it may be running, or it may have been rolled back. Absent when it completed.
   */
  failed?: boolean;
}
