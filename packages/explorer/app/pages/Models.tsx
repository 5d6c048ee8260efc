import type { ModelInfo } from "@verity/sdk";
import type { ChainIndex } from "../chain.js";
import { Empty, Facts, Hex } from "../components.js";
import { eth, modelName, shape } from "../format.js";
import { href } from "../router.js";

const NO_VERSION = /^0x0{64}$/;

/** Every registered model: identity, shapes, fee, proof modes, ZK commitment, versions, use. */
export function ModelsPage({ index }: { index: ChainIndex }) {
  const requests = index.requestList();
  return (
    <section>
      <h1>Models</h1>
      <p className="lede">
        A model's id is the SHA-256 of its ONNX file: a worker refuses a file whose hash differs, so
        the uri is only where to fetch it, never what to trust.
      </p>
      {index.models.length === 0 ? (
        <Empty title="No models registered">
          <p>Register an ONNX file and it appears here:</p>
          <pre>npx verity model register path/to/model.onnx --fee-eth 0.001</pre>
        </Empty>
      ) : (
        <div className="cards">
          {index.models.map((model) => (
            <ModelCard
              key={model.modelId}
              model={model}
              index={index}
              served={requests.filter((row) => row.modelId === model.modelId)}
            />
          ))}
        </div>
      )}
    </section>
  );
}

function ModelCard({
  model,
  index,
  served,
}: {
  model: ModelInfo;
  index: ChainIndex;
  served: ReturnType<ChainIndex["requestList"]>;
}) {
  const settled = served.filter((row) => row.status === "settled").length;
  const newer = index.models.filter(
    (other) => other.previousVersion.toLowerCase() === model.modelId,
  );
  const previous = NO_VERSION.test(model.previousVersion) ? undefined : model.previousVersion;
  return (
    <article className="card model" id={`model-${model.modelId}`} data-model={modelName(model.uri)}>
      <h2>
        {modelName(model.uri)}{" "}
        <span className={`tag ${model.status.toLowerCase()}`}>{model.status}</span>
      </h2>
      <Facts
        rows={[
          ["id (SHA-256)", <code className="hash">{model.modelId}</code>],
          ["uri", <code className="uri">{model.uri}</code>],
          [
            "shapes",
            <>
              input {shape(model.inputShape)} → output {shape(model.outputShape)}, fixed point at{" "}
              {model.decimals} decimals
            </>,
          ],
          ["fee", `${eth(model.feeWei)} per inference, to the owner`],
          ["owner", <Hex value={model.owner} />],
          ["proof modes", model.proofModes.join(", ") || "none"],
          [
            "ZK commitment",
            model.zk ? (
              <>
                circuit <Hex value={model.zk.circuitHash} />, verifying key{" "}
                <Hex value={model.zk.verifyingKeyHash} />, verifier{" "}
                <Hex value={model.zk.verifier} />
              </>
            ) : (
              <span className="muted">none (ATTESTED and QUORUM only)</span>
            ),
          ],
          [
            "versions",
            <>
              {previous ? (
                <>
                  replaces <a href={`#/models`}>{versionName(index, previous)}</a>
                </>
              ) : (
                "first version"
              )}
              {newer.map((next) => (
                <span key={next.modelId}>
                  ; replaced by <a href="#/models">{modelName(next.uri)}</a>
                </span>
              ))}
            </>,
          ],
          [
            "requests served",
            <a href={href("requests", { model: model.modelId })} data-testid="served">
              {served.length} request{served.length === 1 ? "" : "s"}, {settled} settled
            </a>,
          ],
        ]}
      />
    </article>
  );
}

function versionName(index: ChainIndex, modelId: string): string {
  const known = index.model(modelId);
  return known ? `${modelName(known.uri)} (${modelId.slice(0, 10)}…)` : modelId;
}
