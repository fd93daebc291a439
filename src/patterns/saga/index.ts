/** Sagas: a choreography participant and a PostgreSQL-backed orchestrator (see docs/patterns.md). */
export {
  readSagaEvent,
  SagaError,
  type SagaEvent,
  SagaHeaders,
  SagaMessageError,
  sagaHeadersOf,
} from "./events.js";
export {
  type SagaCommand,
  type SagaOrchestrator,
  type SagaOrchestratorOptions,
  type SagaPgClient,
  type SagaPgPool,
  type SagaState,
  type SagaStatus,
  type SagaStep,
  sagaOrchestrator,
} from "./orchestrator.js";
export {
  type SagaContext,
  type SagaHandler,
  type SagaParticipant,
  type SagaParticipantOptions,
  sagaParticipant,
} from "./participant.js";
