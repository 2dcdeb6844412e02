/** A FIFO that also takes items back at the front, with O(1) amortised operations. */
export class Deque<T> {
  #items: (T | undefined)[] = [];
  #head = 0;

  get length(): number {
    return this.#items.length - this.#head;
  }

  push(item: T): void {
    this.#items.push(item);
  }

  unshift(item: T): void {
    if (this.#head > 0) this.#items[--this.#head] = item;
    else this.#items.unshift(item);
  }

  /** Moves the first item matching `test` to the front; false when none matches. */
  moveToFront(test: (item: T) => boolean): boolean {
    for (let i = this.#head; i < this.#items.length; i++) {
      const item = this.#items[i]!;
      if (test(item)) {
        this.#items.splice(i, 1);
        this.unshift(item);
        return true;
      }
    }
    return false;
  }

  shift(): T | undefined {
    if (this.#head === this.#items.length) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head++] = undefined;
    if (this.#head === this.#items.length) {
      this.#items.length = 0;
      this.#head = 0;
    } else if (this.#head >= 1024 && this.#head * 2 >= this.#items.length) {
      this.#items.splice(0, this.#head);
      this.#head = 0;
    }
    return item;
  }

  clear(): void {
    this.#items = [];
    this.#head = 0;
  }
}
