export interface NumaNode {
  id: number;
  cpus: number[];
  memTotalBytes?: number;
  memFreeBytes?: number;
}

export interface NumaData {
  nodes: NumaNode[];
  /** distances[i][j] between nodes[i] and nodes[j] (same order as nodes) */
  distances: number[][];
  warnings: string[];
}
