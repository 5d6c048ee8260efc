import { useEffect, useRef } from "react";
import { real } from "./format.js";

/** A tensor that reads as a square greyscale image: 784 values as 28x28, and the like. */
export function imageSide(shape: readonly number[]): number | undefined {
  const count = shape.reduce((product, dim) => product * dim, 1);
  const side = Math.round(Math.sqrt(count));
  const last = shape.at(-1) ?? 0;
  // [1, 784], [1, 28, 28], [1, 1, 28, 28]: square, and big enough to be a picture.
  return side * side === count && side >= 8 && (last === count || last === side) ? side : undefined;
}

/** Draws values as a greyscale image, min black, max white, scaled up with crisp pixels. */
export function TensorImage({
  values,
  side,
  label,
}: {
  values: number[];
  side: number;
  label: string;
}) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const context = canvas.current?.getContext("2d");
    if (!context) return;
    const min = Math.min(...values);
    const max = Math.max(...values);
    const image = context.createImageData(side, side);
    values.forEach((value, i) => {
      const grey = max === min ? 0 : Math.round(((value - min) / (max - min)) * 255);
      image.data.set([grey, grey, grey, 255], i * 4);
    });
    context.putImageData(image, 0, 0);
  }, [values, side]);
  return (
    <figure className="tensor-image">
      <canvas ref={canvas} width={side} height={side} aria-label={label} />
      <figcaption>{label}</figcaption>
    </figure>
  );
}

/** Class scores as horizontal bars from a zero line; the highest is marked. */
export function ScoreBars({ values, label }: { values: number[]; label: string }) {
  const best = values.indexOf(Math.max(...values));
  const extent = Math.max(...values.map(Math.abs), 1e-9);
  return (
    <figure className="bars" aria-label={label}>
      {values.map((value, i) => {
        const width = `${(Math.abs(value) / extent) * 50}%`;
        return (
          <div key={i} className={`bar-row${i === best ? " best" : ""}`} data-class={i}>
            <span className="bar-label">{i}</span>
            <span className="bar-track">
              <span
                className={`bar ${value < 0 ? "negative" : "positive"}`}
                style={value < 0 ? { right: "50%", width } : { left: "50%", width }}
              />
            </span>
            <span className="bar-value">{real(value)}</span>
          </div>
        );
      })}
      <figcaption>
        {label}: highest is class <strong>{best}</strong>
      </figcaption>
    </figure>
  );
}

/** One value in [0, 1] (a probability) as a meter. */
export function Meter({ value, label }: { value: number; label: string }) {
  const clamped = Math.min(1, Math.max(0, value));
  return (
    <figure className="meter" aria-label={label}>
      <span className="meter-track">
        <span className="meter-fill" style={{ width: `${clamped * 100}%` }} />
      </span>
      <figcaption>
        {label}: <strong>{(clamped * 100).toFixed(1)}%</strong>
        {clamped !== value && <span className="muted"> (raw {real(value)}, clamped)</span>}
      </figcaption>
    </figure>
  );
}

/** Values as a compact grid, at most `limit` of them. */
export function ValueGrid({ values, limit = 64 }: { values: number[]; limit?: number }) {
  return (
    <div className="value-grid">
      {values.slice(0, limit).map((value, i) => (
        <span key={i} title={`[${i}]`}>
          {real(value)}
        </span>
      ))}
      {values.length > limit && <span className="muted">… {values.length - limit} more</span>}
    </div>
  );
}
