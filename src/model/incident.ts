// An incident as the analysis reports it: the JSON shape of CONTRACT §2.

export interface Evidence {
  kind: string;
  detail: string;
}

export interface RootCause {
  service: string;
  score: number; // 0..1
  evidence: Evidence[];
}

export interface SimilarIncident {
  id: string;
  similarity: number; // 0..1
  rootCause: string;
}

export interface RemediationSuggestion {
  runbook: string;
  action: string;
  target: string;
}

export interface IncidentReport {
  id: string;
  title: string;
  status: 'open' | 'resolved';
  openedAt: string; // ISO
  alerts: string[]; // fingerprints
  services: string[];
  rootCauses: RootCause[]; // best first, at most 10
  similarIncidents: SimilarIncident[];
  remediations: RemediationSuggestion[];
}
